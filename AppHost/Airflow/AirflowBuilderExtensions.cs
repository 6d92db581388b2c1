using System.Text.Json;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// Adds an Airflow 3 deployment on Celery to the application model: the shared configuration
/// once (<see cref="AddAirflow"/>), then one method per process.
/// </summary>
public static class AirflowBuilderExtensions
{
    /// <summary>The admin user the simple auth manager creates (<c>[core] simple_auth_manager_users</c>).</summary>
    public const string AdminUser = "admin";

    /// <summary>
    /// Adds an Airflow deployment, configured from the <c>Airflow</c> settings section: its Python
    /// environment (<c>{name}-env</c>), the metadata database migration (<c>{name}-migrate</c>) and
    /// the configuration its processes share. Add the processes with <c>AddApiServer</c>,
    /// <c>AddScheduler</c>, <c>AddDagProcessor</c>, <c>AddTriggerer</c>, <c>AddCeleryWorkers</c>.
    /// </summary>
    public static IResourceBuilder<AirflowResource> AddAirflow(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var top = AirflowAspire.AppHost.RepositoryPaths.Top(builder.AppHostDirectory);
        var settings = AirflowSettings.From(builder.Configuration, top);
        var paths = new AirflowPaths(top, settings);
        var secrets = new AirflowSecrets(
            builder.AddGeneratedSecret($"{name}-admin-password"),
            builder.AddGeneratedSecret($"{name}-jwt-secret", length: 64),
            builder.AddGeneratedSecret($"{name}-secret-key", length: 64),
            builder.AddGeneratedSecret($"{name}-fernet-seed", length: 64));

        var airflow = builder.AddResource(new AirflowResource(name, settings, paths, secrets))
            .WithInitialState(new() { ResourceType = "Airflow", State = "Configured", Properties = [] });

        airflow.Resource.Environment = settings.VirtualEnvironment is { Length: > 0 }
            ? builder.AddExistingPythonEnvironment($"{name}-env", paths.VirtualEnvironment, "airflow", "version")
                // Airflow writes airflow.cfg into AIRFLOW_HOME at import: the deployment's home, not ~/airflow.
                .WithEnvironment("AIRFLOW_HOME", paths.Home)
            : builder.AddPythonEnvironment($"{name}-env", paths.VirtualEnvironment, settings.PythonVersion, settings.Requirement, settings.ConstraintsUrl);
        airflow.Resource.Environment.WithParentRelationship(airflow);

        airflow.Resource.MetadataDatabase = settings.UsesPostgres
            ? airflow.WithPostgresMetadataDatabase()
            : ReferenceExpression.Create($"sqlite:///{paths.SqliteDatabase}");

        airflow.Resource.Migration = airflow.AddProcess($"{name}-migrate", waitForMigration: false)
            .WithArgs("db", "migrate");
        if (airflow.Resource.MetadataDatabaseServer is { } database)
        {
            airflow.Resource.Migration.WaitFor(database);
        }
        return airflow;
    }

    /// <summary>Celery's broker on Dragonfly's db 0 and its result backend on db 1.</summary>
    public static IResourceBuilder<AirflowResource> WithCeleryBroker(this IResourceBuilder<AirflowResource> airflow, IResourceBuilder<IDragonflyResource> dragonfly)
    {
        airflow.Resource.Broker = dragonfly.Resource;
        airflow.Resource.Migration!.WaitFor(dragonfly);
        return airflow;
    }

    /// <summary>
    /// The api-server (REST API, UI and the Task Execution API) on a port Aspire allocates; healthy when
    /// <c>/api/v2/monitor/health</c> reports the metadata database healthy. Before it starts, the admin
    /// password is written to the simple auth manager's passwords file.
    /// </summary>
    public static IResourceBuilder<AirflowProcessResource> AddApiServer(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var api = airflow.AddProcess(name).WithHttpEndpoint(name: "http");
        // A callback, not WithArgs(params object[]): that form would record the process as referencing itself.
        api.WithArgs(context => AddAll(context,
                "api-server", "--port", api.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort), "--host", "127.0.0.1"))
            // One API worker is plenty on one machine (3.0.3 defaults to 4).
            .WithEnvironment("AIRFLOW__API__WORKERS", "1")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Airflow UI");
        airflow.Resource.ApiServer = api.Resource;

        api.OnBeforeResourceStarted(async (resource, _, ct) =>
        {
            var password = await resource.Airflow.Secrets.AdminPassword.GetValueAsync(ct).ConfigureAwait(false);
            Directory.CreateDirectory(resource.Airflow.Paths.Home);
            await File.WriteAllTextAsync(resource.Airflow.Paths.PasswordsFile,
                JsonSerializer.Serialize(new Dictionary<string, string?> { [AdminUser] = password }), ct).ConfigureAwait(false);
        });

        var key = $"{name}_monitor_health";
        airflow.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, sp => new AirflowApiHealthCheck(api.Resource.GetEndpoint("http")), failureStatus: null, tags: null));
        return api.WithHealthCheck(key);
    }

    /// <summary>The scheduler, with its own health endpoint on a port Aspire allocates.</summary>
    public static IResourceBuilder<AirflowProcessResource> AddScheduler(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var scheduler = airflow.AddProcess(name)
            .WithArgs("scheduler")
            .WithHttpEndpoint(name: "health");
        return scheduler
            .WithEnvironment("AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK", "True")
            // It has no authentication: loopback only (its default is 0.0.0.0).
            .WithEnvironment("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST", "127.0.0.1")
            .WithEnvironment("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT", scheduler.Resource.GetEndpoint("health").Property(EndpointProperty.TargetPort))
            .WithHttpHealthCheck("/health", endpointName: "health");
    }

    /// <summary>The DAG processor: mandatory in Airflow 3, where the scheduler no longer parses DAG files.</summary>
    public static IResourceBuilder<AirflowProcessResource> AddDagProcessor(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
        => airflow.AddProcess(name).WithArgs("dag-processor");

    /// <summary>The triggerer, when <c>Airflow:Triggerer</c> is on (deferrable operators need it); its log server on an allocated port.</summary>
    public static IResourceBuilder<AirflowProcessResource>? AddTriggerer(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        if (!airflow.Resource.Settings.Triggerer)
        {
            return null;
        }
        var triggerer = airflow.AddProcess(name).WithArgs("triggerer").WithEndpoint(name: "logs", scheme: "http");
        return triggerer.WithEnvironment("AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT", triggerer.Resource.GetEndpoint("logs").Property(EndpointProperty.TargetPort));
    }

    /// <summary>
    /// <c>Airflow:Workers</c> Celery workers, <c>{name}-1</c>, <c>{name}-2</c>, ..., each with its own Celery
    /// node name (<c>{name}-N@host</c>) and log-server port, on <c>Airflow:Queues</c> with <c>Airflow:Concurrency</c>
    /// slots; healthy when the worker answers Celery's remote-control ping; they start once the api-server,
    /// whose Task Execution API runs their tasks, is healthy.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<AirflowProcessResource>> AddCeleryWorkers(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var settings = airflow.Resource.Settings;
        var api = airflow.Resource.ApiServer ?? throw new InvalidOperationException("Add the api-server (AddApiServer) before the Celery workers: they wait for it.");
        var broker = airflow.Resource.Broker ?? throw new InvalidOperationException("Give Airflow its Celery broker (WithCeleryBroker) before adding Celery workers: their health check pings through it.");
        // The host part Celery's %h would give (socket.gethostname()), spelled out so that the
        // health check pings exactly the name the worker registers under.
        var host = System.Net.Dns.GetHostName();
        return Enumerable.Range(1, settings.Workers).Select(index =>
        {
            var workerName = $"{name}-{index}";
            var node = $"{workerName}@{host}";
            var worker = airflow.AddProcess(workerName)
                .WithEndpoint(name: "logs", scheme: "http")
                .WithArgs("celery", "worker",
                    "--queues", string.Join(',', settings.QueueList),
                    "--concurrency", settings.Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--celery-hostname", node)
                .WaitFor(airflow.ApplicationBuilder.CreateResourceBuilder(api));

            var key = $"{workerName}_celery_ping";
            airflow.ApplicationBuilder.Services.AddKeyedSingleton(key, (_, _) =>
                new CeleryWorkerHealthCheck(broker.Endpoint.ConnectionString, AirflowEnvironment.BrokerDatabase, node));
            airflow.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
                key, sp => sp.GetRequiredKeyedService<CeleryWorkerHealthCheck>(key), failureStatus: null, tags: null));

            airflow.Resource.Workers.Add(worker.Resource);
            if (index == 1)
            {
                // While a task runs, the api-server reads its log from http://{ti.hostname}:{its own
                // [logging] worker_log_server_port}/log/... (file_task_handler.py): one port for every worker of a
                // host. It gets the first worker's, so that worker's running tasks show their logs live.
                airflow.ApplicationBuilder.CreateResourceBuilder(api).WithEnvironment("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
                    worker.Resource.GetEndpoint("logs").Property(EndpointProperty.TargetPort));
            }
            // Two workers on one host would collide on the default log-server port 8793.
            return worker
                .WithEnvironment("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", worker.Resource.GetEndpoint("logs").Property(EndpointProperty.TargetPort))
                .WithHealthCheck(key);
        }).ToList();
    }

    /// <summary>Flower, Celery's monitoring UI: registered, started only from the dashboard.</summary>
    public static IResourceBuilder<AirflowProcessResource> AddFlower(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var flower = airflow.AddProcess(name).WithHttpEndpoint(name: "http").WithExplicitStart();
        // Flower has no authentication of its own: loopback only (`--hostname` is its bind address, default 0.0.0.0).
        return flower.WithArgs(context => AddAll(context,
            "celery", "flower", "--hostname", "127.0.0.1", "--port", flower.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort)));
    }

    /// <summary>A process of the deployment: the environment's <c>airflow</c>, the shared configuration, the shared waits.</summary>
    private static IResourceBuilder<AirflowProcessResource> AddProcess(this IResourceBuilder<AirflowResource> airflow, string name, bool waitForMigration = true)
    {
        var parent = airflow.Resource;
        var environment = parent.Environment!;
        var process = airflow.ApplicationBuilder
            .AddPythonApp(new AirflowProcessResource(name, parent.Paths.Root, environment.Resource.VirtualEnvironment, parent), environment)
            .WithParentRelationship(airflow)
            .WithEnvironment(context => AirflowEnvironment.Apply(parent, context))
            .WithOtlpExporter(OtlpProtocol.HttpProtobuf)
            .WithEnvironment(AirflowEnvironment.ApplyOpenTelemetryAsync);
        if (waitForMigration)
        {
            process.WaitForCompletion(parent.Migration!);
            if (parent.Broker is { } broker)
            {
                process.WaitFor(airflow.ApplicationBuilder.CreateResourceBuilder(broker));
            }
        }
        return process;
    }

    private static void AddAll(CommandLineArgsCallbackContext context, params object[] args)
    {
        foreach (var arg in args)
        {
            context.Args.Add(arg);
        }
    }

    /// <summary>A generated secret parameter, on the dashboard and kept in the AppHost's user secrets.</summary>
    private static ParameterResource AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name, int length = 22)
    {
        var parameter = ParameterResourceBuilderExtensions.CreateGeneratedParameter(builder, name, secret: true,
            // Alphanumeric: these values go into URLs, JSON and config files unescaped.
            new GenerateParameterDefault { MinLength = length, Special = false });
        builder.AddResource(parameter);
        return parameter;
    }
}
