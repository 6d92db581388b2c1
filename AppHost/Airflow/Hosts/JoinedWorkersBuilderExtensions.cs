using System.Globalization;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// <c>--Airflow:Role=workers --Airflow:Join=PATH</c>: Celery workers on this host, joined to a deployment whose main host
/// wrote the join file. No broker, database or other Airflow process runs here.
/// </summary>
public static class JoinedWorkersBuilderExtensions
{
    /// <summary>The folder put on the workers' <c>PYTHONPATH</c>: <c>airflow_aspire_hostname</c>, their <c>[core] hostname_callable</c>.</summary>
    public static string HostnameModuleFolder(string appHostDirectory) => Path.Combine(appHostDirectory, "Airflow", "Python");

    /// <summary>
    /// Adds the Airflow environment (<c>{name}-env</c>), the join check (<c>{name}-join</c>, healthy once the deployment can be
    /// joined from here) and <paramref name="settings"/>' <c>Workers</c> Celery workers (<c>{name}-worker-N</c>, node
    /// <c>{name}-worker-N@this-host</c>) on its <c>Queues</c>, each healthy when it answers Celery's ping through the broker.
    /// The broker's password and the secret key become secret parameters; they reach the workers in their environment only.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<PythonAppResource>> AddJoinedCeleryWorkers(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, JoinFile join, string joinPath, AirflowSettings settings)
    {
        var paths = new AirflowPaths(RepositoryPaths.Top(builder.AppHostDirectory), settings);
        var environment = builder.AddAirflowEnvironment($"{name}-env", settings);
        var brokerPassword = builder.AddParameter($"{name}-broker-password", join.BrokerPassword, secret: true);
        var secretKey = builder.AddParameter($"{name}-secret-key", join.SecretKey, secret: true);

        var advertised = settings.AdvertisedAddress is { Length: > 0 } given ? given
            : MachineAddresses.RouteSourceTo(join.BrokerHost, join.BrokerPort)
              ?? throw new InvalidSettingException(AirflowSettings.SectionName, "AdvertisedAddress", "",
                  $"the address the main host reaches this one at: this host has no route to the broker at {join.BrokerHost}, so none could be found");

        var check = builder.AddResource(new JoinCheckResource($"{name}-join", join))
            .WithInitialState(new()
            {
                ResourceType = "Join check",
                State = KnownResourceStates.Running,
                Properties = [new("deployment", join.Deployment), new("deployment.id", join.DeploymentId), new("broker", $"{join.BrokerHost}:{join.BrokerPort}"),
                    new("execution.api", join.ExecutionApiUrl), new("advertised.address", advertised)],
            });
        var checkKey = $"{check.Resource.Name}_join";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(checkKey, _ => new JoinHealthCheck(join, joinPath, brokerPassword.Resource), null, null));
        check.WithHealthCheck(checkKey);

        var brokerConnection = ReferenceExpression.Create($"{join.BrokerHost}:{join.BrokerPort.ToString(CultureInfo.InvariantCulture)},password={brokerPassword.Resource}");
        var host = System.Net.Dns.GetHostName();
        string NodeName(int index) => $"{name}-worker-{index}@{host}";
        var workers = Enumerable.Range(1, settings.Workers).Select(index =>
        {
            var workerName = $"{name}-worker-{index}";
            var node = NodeName(index);
            var worker = builder.AddPythonApp(new PythonAppResource(workerName, "airflow", paths.Root, paths.VirtualEnvironment), environment)
                .WithArgs(["celery", "worker", "--queues", string.Join(',', settings.QueueList),
                    "--concurrency", settings.Concurrency.ToString(CultureInfo.InvariantCulture), "--celery-hostname", node,
                    // The api-server reads every host's logs on one port: the first worker serves this host's log folder, the
                    // others would collide on that port.
                    .. index > 1 ? ["--skip-serve-logs"] : Array.Empty<string>()])
                .WithEnvironment(context => JoinedEnvironment.Apply(context, join, paths, brokerPassword.Resource, secretKey.Resource, advertised,
                    HostnameModuleFolder(builder.AppHostDirectory)))
                .WithOtlpExporter(OtlpProtocol.HttpProtobuf)
                .WithEnvironment(AirflowEnvironment.ApplyOpenTelemetryAsync)
                .WithParentRelationship(check)
                .WaitFor(check)
                .WithCeleryPingHealthCheck(brokerConnection, node);
            return worker;
        }).ToList();

        var nodes = string.Join(',', Enumerable.Range(1, settings.Workers).Select(NodeName));
        check.WatchInBackground((IServiceProvider _, ILogger logger, CancellationToken _) =>
        {
            logger.LogInformation("On the main host, show these workers on its dashboard with --Airflow:RemoteWorkers={Nodes}", nodes);
            return Task.CompletedTask;
        }, "The join check could not log the node names");
        return workers;
    }
}

/// <summary>The join check's row on the dashboard: no process, a health check (<see cref="JoinHealthCheck"/>).</summary>
/// <param name="name">The resource name.</param>
/// <param name="join">The join file's contents.</param>
public sealed class JoinCheckResource(string name, JoinFile join) : Resource(name), IResourceWithWaitSupport
{
    /// <summary>The deployment it joins.</summary>
    public JoinFile Join { get; } = join;
}
