using AirflowAspire.AppHost.Airflow;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Wires the Verifier project to the Airflow deployment it proves.</summary>
public static class VerifierBuilderExtensions
{
    /// <summary>The name of the dashboard command on the deployment that runs the Verifier again.</summary>
    public const string VerifyCommand = "verify";

    /// <summary>
    /// Makes <paramref name="verifier"/> verify <paramref name="airflow"/>: it finds the api-server and the broker through
    /// references and gets everything else it needs as <c>Verifier__…</c> variables (the admin user and password, the queues,
    /// the resource names its messages point at, where its report goes). After each run the deployment's state on the
    /// dashboard says the verdict (<see cref="VerificationState"/>), and the deployment's <b>Verify</b> command runs it again.
    /// Its waits are the caller's to state (the api-server and the workers).
    /// </summary>
    public static IResourceBuilder<ProjectResource> VerifiesAirflow(this IResourceBuilder<ProjectResource> verifier, IResourceBuilder<AirflowResource> airflow)
    {
        var resource = airflow.Resource;
        var api = airflow.GetApiServer();

        verifier
            .WithReference(airflow.ApplicationBuilder.CreateResourceBuilder(resource.Broker.Resource), "dragonfly")
            .WithReference(api)
            .WithEnvironment("Verifier__AirflowUrl", $"http://{api.Resource.Name}")
            .WithEnvironment("Verifier__Username", AirflowBuilderExtensions.AdminUser)
            .WithEnvironment("Verifier__Password", resource.Secrets.AdminPassword)
            .WithEnvironment("Verifier__BrokerUrl", resource.Broker.BrokerUrl)
            .WithEnvironment("Verifier__ResultBackendUrl", resource.Broker.ResultBackendUrl)
            .WithEnvironment("Verifier__ReportPath", resource.Paths.VerifierReport)
            // Read at start: workers may be added after this call.
            .WithEnvironment(context => context.EnvironmentVariables["Verifier__Queues"] =
                string.Join(',', resource.Workers.SelectMany(w => w.Queues).Distinct()));

        VerificationState.Follow(verifier, airflow);

        airflow.WithCommand(VerifyCommand, "Verify", async context =>
        {
            var commands = context.Services.GetRequiredService<ResourceCommandService>();
            var started = await commands.ExecuteCommandAsync(verifier.Resource, KnownResourceCommands.StartCommand, context.CancellationToken).ConfigureAwait(false);
            return started.Success
                ? CommandResults.Success()
                : CommandResults.Failure($"The Verifier did not start ({started.Message}); it may still be running.");
        }, new CommandOptions
        {
            Description = "Run the Verifier again: trigger the DAG and check the outcome end to end.",
            IconName = "CheckmarkCircle",
            IsHighlighted = true,
        });
        return verifier;
    }

    /// <summary>Makes <paramref name="verifier"/> wait for each of <paramref name="resources"/> to be healthy.</summary>
    public static IResourceBuilder<ProjectResource> WaitForAll<T>(this IResourceBuilder<ProjectResource> verifier, IEnumerable<IResourceBuilder<T>> resources)
        where T : class, IResourceWithWaitSupport
    {
        foreach (var resource in resources)
        {
            verifier.WaitFor(resource);
        }
        return verifier;
    }
}
