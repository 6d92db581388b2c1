using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Python;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>The Airflow integration on its own: what <c>AddAirflow</c> guarantees, whatever order the processes come in.</summary>
public sealed class AddAirflowTests
{
    private static readonly AirflowSettings Settings = new() { Version = "3.0.3", PythonVersion = "3.12" };

    private static IResourceBuilder<AirflowResource> AddAirflow(IDistributedApplicationBuilder builder)
    {
        var dragonfly = builder.AddDragonfly("broker", password: builder.AddParameter("broker-pw", "BrokerPassw0rd", secret: true));
        dragonfly.Resource.AllocateEndpoint("tcp", 16379, targetPort: 6379);
        return builder.AddAirflow("af", dragonfly, Settings);
    }

    [Fact]
    public void The_environment_the_migration_and_the_api_server_come_with_the_deployment()
    {
        var builder = BareBuilder.Create();
        var airflow = AddAirflow(builder);

        Assert.Equal(("af-env", "af-migrate", "af-api"),
            (airflow.Resource.Environment.Name, airflow.Resource.Migration.Name, airflow.Resource.ApiServer.Name));
        Assert.Equal(AirflowRole.ApiServer, airflow.GetApiServer().Resource.Role);
        Assert.Contains(builder.Resources, r => r is PythonEnvironmentResource { Name: "af-env" });
    }

    [Fact]
    public async Task Processes_added_in_any_order_get_the_same_waits_and_configuration()
    {
        async Task<(string[] Waits, IReadOnlyDictionary<string, string> Api, IReadOnlyDictionary<string, string> Worker)> BuildAsync(bool workersFirst)
        {
            var builder = BareBuilder.Create();
            var airflow = AddAirflow(builder);
            if (workersFirst)
            {
                airflow.AddCeleryWorkers("w", 1, ["default"], 2);
                airflow.AddScheduler("s");
            }
            else
            {
                airflow.AddScheduler("s");
                airflow.AddCeleryWorkers("w", 1, ["default"], 2);
            }
            using var app = builder.Build();
            app.AllocateAllEndpoints();
            var worker = airflow.Resource.Workers.Single();
            var waits = worker.Annotations.OfType<WaitAnnotation>().Select(w => $"{w.Resource.Name}:{w.WaitType}").Order().ToArray();
            return (waits, await app.EnvironmentAsync(airflow.Resource.ApiServer), await app.EnvironmentAsync(worker));
        }

        var before = await BuildAsync(workersFirst: false);
        var after = await BuildAsync(workersFirst: true);

        Assert.Equal(["af-env:WaitForCompletion", "af-migrate:WaitForCompletion", "broker:WaitUntilHealthy"], before.Waits);
        Assert.Equal(before.Waits, after.Waits);
        // The api-server reads running tasks' logs on the first worker's log-server port, whenever that worker was added.
        Assert.Equal(before.Worker["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], before.Api["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]);
        Assert.Equal(after.Worker["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], after.Api["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]);
    }

    [Fact]
    public void A_deployment_that_cannot_run_a_task_fails_before_anything_starts_naming_what_is_missing()
    {
        var builder = BareBuilder.Create();
        var airflow = AddAirflow(builder);
        airflow.AddScheduler("s");

        // AddAirflow runs this on BeforeStartEvent, before any resource starts.
        var error = Assert.Throws<DistributedApplicationException>(airflow.Resource.ThrowIfIncomplete);

        Assert.Equal("Airflow 'af' cannot run a task: it lacks a dag-processor (AddDagProcessor), a Celery worker (AddCeleryWorkers). Add them in the AppHost.",
            error.Message);
        airflow.AddDagProcessor("d");
        airflow.AddCeleryWorkers("w", 1, ["default"], 1);
        airflow.Resource.ThrowIfIncomplete();
    }

    [Fact]
    public void A_broker_Celery_cannot_use_is_refused_naming_what_is_accepted()
    {
        var builder = BareBuilder.Create();
        var postgres = builder.AddPostgres("pg");

        var error = Assert.Throws<ArgumentException>(() => builder.AddAirflow("af", postgres, Settings));
        Assert.Contains("give a Dragonfly resource", error.Message);
    }

    [Fact]
    public async Task A_PostgreSQL_metadata_database_changes_the_url_the_requirement_and_the_migrations_waits()
    {
        var builder = BareBuilder.Create("--Parameters:pg-password=PgPassw0rd");
        var airflow = AddAirflow(builder);
        var database = builder.AddPostgres("pg", password: builder.AddParameter("pg-password", secret: true)).AddDatabase("pgdb", "airflow");
        database.Resource.Parent.AllocateEndpoint("tcp", 15432, targetPort: 5432);

        airflow.WithPostgresMetadataDatabase(database);

        Assert.Equal("apache-airflow[celery,postgres]==3.0.3", airflow.Resource.Environment.Requirement);
        Assert.Contains(airflow.Resource.Migration.Annotations.OfType<WaitAnnotation>(), w => w.Resource == database.Resource);
        Assert.Equal("postgresql+psycopg2://postgres:PgPassw0rd@localhost:15432/airflow", await airflow.Resource.MetadataDatabase.ResolveAsync());
        Assert.Throws<InvalidOperationException>(() => airflow.WithPostgresMetadataDatabase(database));
    }

    [Fact]
    public async Task The_Fernet_key_is_a_secret_parameter_of_its_own_and_a_seed_of_an_earlier_deployment_keeps_its_key()
    {
        var fresh = BareBuilder.Create();
        var key = await AddAirflow(fresh).Resource.Secrets.FernetKey.GetValueAsync(TestContext.Current.CancellationToken);
        Assert.Equal(32, Convert.FromBase64String(key!.Replace('-', '+').Replace('_', '/')).Length);

        var earlier = BareBuilder.Create("--Parameters:af-fernet-seed=SeedOfAnEarlierDeployment");
        var secrets = AddAirflow(earlier).Resource.Secrets;
        Assert.True(secrets.FernetKey.Secret);
        Assert.Equal(FernetKeyDefault.Derive("SeedOfAnEarlierDeployment"u8.ToArray()),
            await secrets.FernetKey.GetValueAsync(TestContext.Current.CancellationToken));
    }
}
