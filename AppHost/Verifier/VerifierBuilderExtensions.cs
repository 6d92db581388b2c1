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
    /// it finds the api-server and the broker through references (<c>ConnectionStrings__broker</c>), and gets as
    /// environment variables (<c>Verifier__…</c>) everything else it must know of the deployment, from the model:
    /// the admin user and password, the DAG and its expected output, the queues, the Celery URLs Airflow gets, and
    /// the names of the resources and parameters its messages point at. It starts once the api-server and every
    /// worker are healthy, writes its report beside <c>AIRFLOW_HOME</c>, and can be run again from the api-server's
    /// <b>Verify</b> command on the dashboard.
    /// </summary>
    public static IResourceBuilder<ProjectResource> VerifiesAirflow(this IResourceBuilder<ProjectResource> verifier,
        IResourceBuilder<AirflowResource> airflow, IResourceBuilder<IDragonflyResource> broker)
    {
        var resource = airflow.Resource;
        var api = airflow.ApplicationBuilder.CreateResourceBuilder(resource.ApiServer
            ?? throw new InvalidOperationException("Add the api-server (AddApiServer) before the Verifier: it talks to it."));

        verifier
            // The Verifier reads ConnectionStrings:broker, whatever the broker resource is called.
            .WithReference(broker, "broker")
            .WithReference(api)
            .WithEnvironment("Verifier__AirflowUrl", $"http://{api.Resource.Name}")
            .WithEnvironment("Verifier__Username", AirflowBuilderExtensions.AdminUser)
            .WithEnvironment("Verifier__Password", resource.Secrets.AdminPassword)
            .WithEnvironment("Verifier__DagId", VerificationDag.Id)
            .WithEnvironment("Verifier__ExpectedOutput", VerificationDag.ExpectedOutput)
            .WithEnvironment("Verifier__Queues", resource.Settings.Queues)
            // The URLs Airflow's Celery gets: the Verifier looks for the queues and the results in the same databases.
            .WithEnvironment("Verifier__BrokerUrl", broker.Resource.Endpoint.CeleryUrl(AirflowEnvironment.BrokerDatabase))
            .WithEnvironment("Verifier__ResultBackendUrl", broker.Resource.Endpoint.CeleryUrl(AirflowEnvironment.ResultBackendDatabase))
            .WithEnvironment("Verifier__ReportPath", resource.Paths.VerifierReport)
            // When it starts, not now: processes added after this call are named too.
            .WithEnvironment(context => NameResourcesAsync(context, resource, broker.Resource, airflow.ApplicationBuilder.Resources))
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

    /// <summary>
    /// <c>Verifier__Resources__*</c>: the names of the deployment's resources and parameters, which the Verifier's likely
    /// causes point at. An empty name is a process the deployment does not run (the triggerer is optional).
    /// </summary>
    private static async Task NameResourcesAsync(EnvironmentCallbackContext context, AirflowResource airflow, IResource broker, IEnumerable<IResource> resources)
    {
        var processes = resources.OfType<AirflowProcessResource>().Where(p => p.Airflow == airflow).ToList();
        var env = context.EnvironmentVariables;
        env["Verifier__Resources__Migration"] = airflow.Migration?.Resource.Name ?? "";
        env["Verifier__Resources__ApiServer"] = airflow.ApiServer?.Name ?? "";
        env["Verifier__Resources__Scheduler"] = await RunningAsync(processes, "scheduler", context).ConfigureAwait(false) ?? "";
        env["Verifier__Resources__DagProcessor"] = await RunningAsync(processes, "dag-processor", context).ConfigureAwait(false) ?? "";
        env["Verifier__Resources__Triggerer"] = await RunningAsync(processes, "triggerer", context).ConfigureAwait(false) ?? "";
        env["Verifier__Resources__Workers"] = string.Join(',', airflow.Workers.Select(w => w.Name));
        env["Verifier__Resources__Broker"] = broker.Name;
        env["Verifier__Resources__AdminPasswordParameter"] = airflow.Secrets.AdminPassword.Name;
        env["Verifier__Resources__JwtSecretParameter"] = airflow.Secrets.JwtSecret.Name;
    }

    /// <summary>
    /// The process that runs <c>airflow {command}</c>, found by its first argument: the deployment records its
    /// api-server, workers and migration, but not its scheduler, dag-processor or triggerer.
    /// </summary>
    private static async Task<string?> RunningAsync(IEnumerable<AirflowProcessResource> processes, string command, EnvironmentCallbackContext context)
    {
        foreach (var process in processes)
        {
            var args = new List<object>();
            var argsContext = new CommandLineArgsCallbackContext(args, process, context.CancellationToken) { ExecutionContext = context.ExecutionContext };
            foreach (var annotation in process.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
            {
                await annotation.Callback(argsContext).ConfigureAwait(false);
            }
            if (args.FirstOrDefault() is string first && first == command)
            {
                return process.Name;
            }
        }
        return null;
    }
}
