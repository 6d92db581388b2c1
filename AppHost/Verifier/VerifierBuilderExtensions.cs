using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Wires the Verifier project to the Airflow deployment it proves.</summary>
public static class VerifierBuilderExtensions
{
    /// <summary>The name of the dashboard command on the api-server that runs the Verifier again.</summary>
    public const string VerifyCommand = "verify";

    /// <summary>
    /// Makes <paramref name="verifier"/> verify <paramref name="airflow"/> over Celery on <paramref name="broker"/>:
    /// it finds the api-server and the broker through references, gets the admin password as an environment
    /// variable, starts once the api-server and every worker are healthy, writes its report beside
    /// <c>AIRFLOW_HOME</c>, and can be run again from the api-server's <b>Verify</b> command on the dashboard.
    /// </summary>
    public static IResourceBuilder<ProjectResource> VerifiesAirflow(this IResourceBuilder<ProjectResource> verifier,
        IResourceBuilder<AirflowResource> airflow, IResourceBuilder<IDragonflyResource> broker)
    {
        var resource = airflow.Resource;
        var api = airflow.ApplicationBuilder.CreateResourceBuilder(resource.ApiServer
            ?? throw new InvalidOperationException("Add the api-server (AddApiServer) before the Verifier: it talks to it."));

        verifier
            // The Verifier reads ConnectionStrings:dragonfly, whatever the broker resource is called.
            .WithReference(broker, "dragonfly")
            .WithReference(api)
            .WithEnvironment("Verifier__AirflowUrl", $"http://{api.Resource.Name}")
            .WithEnvironment("Verifier__Username", AirflowBuilderExtensions.AdminUser)
            .WithEnvironment("Verifier__Password", resource.Secrets.AdminPassword)
            .WithEnvironment("Verifier__Queues", resource.Settings.Queues)
            .WithEnvironment("Verifier__ReportPath", resource.Paths.VerifierReport)
            .WaitFor(broker)
            .WaitFor(api);
        if (resource.Workers.Count == 0)
        {
            throw new InvalidOperationException("Add the Celery workers (AddCeleryWorkers) before the Verifier: it waits for them.");
        }
        foreach (var worker in resource.Workers)
        {
            verifier.WaitFor(airflow.ApplicationBuilder.CreateResourceBuilder(worker));
        }

        api.WithCommand(VerifyCommand, "Verify", async context =>
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
        });
        return verifier;
    }
}
