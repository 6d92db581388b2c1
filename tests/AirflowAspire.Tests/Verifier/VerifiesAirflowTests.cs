using AirflowAspire.AppHost.Airflow;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Verifier;

/// <summary>The Verifier's integration on its own: what <c>VerifiesAirflow</c> hands the Verifier, whatever the order of the AppHost.</summary>
public sealed class VerifiesAirflowTests
{
    [Fact]
    public async Task Processes_added_after_VerifiesAirflow_are_named_to_the_Verifier_and_the_Verify_command_is_on_the_deployment()
    {
        var builder = BareBuilder.Create();
        var dragonfly = builder.AddDragonfly("queue", password: builder.AddParameter("queue-pw", "BrokerPassw0rd", secret: true));
        dragonfly.Resource.AllocateEndpoint("tcp", 16379, targetPort: 6379);
        var airflow = builder.AddAirflow("af", dragonfly, new AirflowSettings { Version = "3.0.3", PythonVersion = "3.12" });
        var verifier = builder.AddVerifier("check").VerifiesAirflow(airflow);

        // After the Verifier: its environment is read at start, so these count.
        airflow.AddScheduler("sched");
        airflow.AddDagProcessor("parse");
        airflow.AddCeleryWorkers("w", 2, ["default", "etl"], 1);

        using var app = builder.Build();
        app.AllocateAllEndpoints();
        var env = await app.EnvironmentAsync(verifier.Resource);

        Assert.Equal("localhost:16379,password=BrokerPassw0rd", env["ConnectionStrings__broker"]);
        Assert.Equal("redis://:BrokerPassw0rd@localhost:16379/0", env["Verifier__BrokerUrl"]);
        Assert.Equal("redis://:BrokerPassw0rd@localhost:16379/1", env["Verifier__ResultBackendUrl"]);
        Assert.Equal("default,etl", env["Verifier__Queues"]);
        Assert.Equal(("af-migrate", "af-api", "sched", "parse", "", "w-1,w-2", "queue"),
            (env["Verifier__Resources__Migration"], env["Verifier__Resources__ApiServer"], env["Verifier__Resources__Scheduler"],
             env["Verifier__Resources__DagProcessor"], env["Verifier__Resources__Triggerer"], env["Verifier__Resources__Workers"],
             env["Verifier__Resources__Broker"]));
        Assert.Equal(("af-admin-password", "af-jwt-secret"), (env["Verifier__Resources__AdminPasswordParameter"], env["Verifier__Resources__JwtSecretParameter"]));
        Assert.Equal((VerificationDag.Id, VerificationDag.ExpectedOutput), (env["Verifier__DagId"], env["Verifier__ExpectedOutput"]));
        Assert.Contains(airflow.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == VerifierBuilderExtensions.VerifyCommand);
    }
}
