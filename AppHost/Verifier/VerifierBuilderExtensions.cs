using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Verifier;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Wires the Verifier project to the Airflow deployment it proves.</summary>
public static class VerifierBuilderExtensions
{
    /// <summary>The name of the dashboard command on the deployment that runs the Verifier again.</summary>
    public const string VerifyCommand = "verify";

    /// <summary>
    /// Adds the Verifier (<see cref="VerifierResource"/>), as Aspire adds a project: telemetry to the dashboard (OTLP), the
    /// environment's name, and the console's formatter; not in a published manifest (it is a one-shot of this machine).
    /// </summary>
    public static IResourceBuilder<VerifierResource> AddVerifier(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var program = VerifierResource.BuiltProgram();
        var resource = new VerifierResource(name, VerifierResource.DotnetHost(), Path.GetDirectoryName(VerifierResource.ProjectPath)!);
        return builder.AddResource(resource)
            .WithArgs(program is not null
                ? [program]
                : ["run", "--project", VerifierResource.ProjectPath, "--no-build", "--configuration", VerifierResource.Configuration, "--no-launch-profile"])
            .WithOtlpExporter()
            // What Aspire gives a project, which the Verifier's host reads as it did under `dotnet run`.
            .WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithEnvironment("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION", "true")
            .WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", "simple")
            .WithEnvironment("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory")
            .WithEnvironment("OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION", "true")
            // Not in a published manifest: deployment tools run a service and start it again when it exits, so it would trigger
            // the DAG over and over, and its report is a file of this machine. Run it by hand against a cluster (README).
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Makes <paramref name="verifier"/> verify <paramref name="airflow"/>: it finds the api-server and the broker through
    /// references (<c>ConnectionStrings__broker</c>) and gets as environment variables (<c>Verifier__…</c>) everything else
    /// it must know of the deployment, from the model: the admin user and password, the DAG and its expected output, the
    /// queues, the Celery URLs Airflow gets, the names of the resources and parameters its messages point at, and where its
    /// report goes. After each run the deployment's state on the dashboard says the verdict (<see cref="VerificationState"/>),
    /// and the deployment's <b>Verify</b> command runs it again. Its waits are the caller's to state (the api-server and the workers).
    /// </summary>
    public static IResourceBuilder<VerifierResource> VerifiesAirflow(this IResourceBuilder<VerifierResource> verifier, IResourceBuilder<AirflowResource> airflow)
    {
        var resource = airflow.Resource;
        var api = airflow.GetApiServer();

        verifier
            // First, so that what the AppHost sets from the model below wins: the user's own choices for the Verifier
            // (Verifier:Dags, Verifier:Conf:{dag_id}, Verifier:RunTimeout, ...), given to the AppHost as its settings.
            .WithEnvironment(context => PassUserSettings(context, airflow.ApplicationBuilder.Configuration))
            // The Verifier reads ConnectionStrings:broker, whatever the broker resource is called.
            .WithReference(airflow.ApplicationBuilder.CreateResourceBuilder(resource.Broker.Resource), "broker")
            .WithReference(api)
            .WithEnvironment("Verifier__AirflowUrl", $"http://{api.Resource.Name}")
            .WithEnvironment("Verifier__Username", AirflowBuilderExtensions.AdminUser)
            .WithEnvironment("Verifier__Password", resource.Secrets.AdminPassword)
            .WithEnvironment("Verifier__DagId", VerificationDag.Id)
            .WithEnvironment("Verifier__ExpectedOutput", VerificationDag.ExpectedOutput)
            // The URLs Airflow's Celery gets: the Verifier looks for the queues and the results in the same databases.
            .WithEnvironment("Verifier__BrokerUrl", resource.Broker.BrokerUrl)
            .WithEnvironment("Verifier__ResultBackendUrl", resource.Broker.ResultBackendUrl)
            // The server the AppHost chose: the Verifier checks that Celery's broker is that one.
            .WithEnvironment("Verifier__ExpectedBroker", resource.Broker.Kind.ToString().ToLowerInvariant())
            .WithEnvironment("Verifier__ReportPath", resource.Paths.VerifierReport)
            // When it starts, not now: processes added after this call are named and their queues counted too.
            .WithEnvironment(context => NameResources(context, resource));

        VerificationState.Follow(verifier, airflow);
        verifier.WithStartTimeline();

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
    public static IResourceBuilder<VerifierResource> WaitForAll<T>(this IResourceBuilder<VerifierResource> verifier, IEnumerable<IResourceBuilder<T>> resources)
        where T : class, IResourceWithWaitSupport
    {
        foreach (var resource in resources)
        {
            verifier.WaitFor(resource);
        }
        return verifier;
    }

    /// <summary>
    /// The AppHost's <c>Verifier</c> section (appsettings.json, <c>--Verifier:Dags=tag:sample</c>, <c>Verifier__Dags</c>) as the
    /// Verifier's own settings: <c>Verifier:Dags</c> chooses the user's DAGs to run and prove, <c>Verifier:Conf:{dag_id}</c> their
    /// conf, <c>Verifier:RunTimeout</c> and the other timeouts how long to wait. The Verifier checks the values and names a bad one.
    /// </summary>
    private static void PassUserSettings(EnvironmentCallbackContext context, IConfiguration configuration)
    {
        var section = configuration.GetSection("Verifier");
        foreach (var pair in section.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null))
        {
            context.EnvironmentVariables[$"Verifier__{pair.Key.Replace(":", "__", StringComparison.Ordinal)}"] = pair.Value!;
        }
    }

    /// <summary>
    /// <c>Verifier__Queues</c> and <c>Verifier__Resources__*</c>: the workers' queues, and the names of the deployment's
    /// resources and parameters, which the Verifier's likely causes point at. An empty name is a process the deployment
    /// does not run (the triggerer is optional).
    /// </summary>
    private static void NameResources(EnvironmentCallbackContext context, AirflowResource airflow)
    {
        string Named(AirflowRole role) => airflow.Processes.FirstOrDefault(p => p.Role == role)?.Name ?? "";
        var env = context.EnvironmentVariables;
        env["Verifier__Queues"] = string.Join(',', airflow.Workers.SelectMany(w => w.Queues)
            .Append(airflow.RemoteWorkers.Count > 0 ? airflow.Settings.EffectiveVerificationQueue : null).OfType<string>().Distinct());
        env["Verifier__Resources__Migration"] = airflow.Migration.Name;
        env["Verifier__Resources__ApiServer"] = airflow.ApiServer.Name;
        env["Verifier__Resources__Scheduler"] = Named(AirflowRole.Scheduler);
        env["Verifier__Resources__DagProcessor"] = Named(AirflowRole.DagProcessor);
        env["Verifier__Resources__Triggerer"] = Named(AirflowRole.Triggerer);
        env["Verifier__Resources__Workers"] = string.Join(',', airflow.Workers.Select(w => w.Name).Concat(airflow.RemoteWorkers.Select(w => w.Name)));
        env["Verifier__Resources__Broker"] = airflow.Broker.Resource.Name;
        env["Verifier__Resources__AdminPasswordParameter"] = airflow.Secrets.AdminPassword.Name;
        env["Verifier__Resources__JwtSecretParameter"] = airflow.Secrets.JwtSecret.Name;
    }
}
