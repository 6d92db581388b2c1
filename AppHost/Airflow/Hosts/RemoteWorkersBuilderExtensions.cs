using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.AppHost.Dragonfly;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Aspire.Hosting;

/// <summary>
/// Lets Celery workers on other hosts join a deployment: the api-server on an address they reach, a fixed log-server port,
/// the join file they start from, and a row with a health check on this dashboard for each of them.
/// </summary>
public static class RemoteWorkersBuilderExtensions
{
    /// <summary>The deployment's property on the dashboard that says where the join file is.</summary>
    public const string JoinFileProperty = "airflow.join_file";

    /// <summary>
    /// Opens the deployment to workers on other hosts. The broker must listen on <paramref name="listenAddress"/> already
    /// (<c>WithListenAddress</c> on Dragonfly). The api-server listens there on <paramref name="apiPort"/>; the first local
    /// worker's log server, and the api-server's <c>worker_log_server_port</c> for every host, is <paramref name="workerLogServerPort"/>.
    /// Once the broker is healthy the deployment announces its id in the broker and writes the join file
    /// (<see cref="AirflowPaths.JoinFile"/>, owner-only). Each of <paramref name="remoteNodes"/> (Celery node names) gets a
    /// child row, healthy while that worker answers Celery's ping.
    /// </summary>
    public static IResourceBuilder<AirflowResource> WithRemoteWorkers(this IResourceBuilder<AirflowResource> airflow,
        string listenAddress, int apiPort, int workerLogServerPort, IReadOnlyList<string> remoteNodes)
    {
        ArgumentException.ThrowIfNullOrEmpty(listenAddress);
        var resource = airflow.Resource;
        var builder = airflow.ApplicationBuilder;
        if (resource.Broker.Resource is not IDragonflyResource)
        {
            throw new DistributedApplicationException(
                "Workers on other hosts need Dragonfly as the broker (Airflow:Broker=dragonfly): the Redis broker here listens on loopback only.");
        }
        resource.RemoteAccess = new(listenAddress, workerLogServerPort);
        // The api-server reads a running task's log from http://{ti.hostname}:{its worker_log_server_port}: one port for
        // every host, this one's first worker included.
        resource.WorkerLogServerPort = workerLogServerPort;

        builder.CreateResourceBuilder(resource.ApiServer).WithEndpoint("http", endpoint => endpoint.FixOn(apiPort, listenAddress));

        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            var brokerEndpoint = resource.Broker.Endpoint.EndpointAnnotation;
            if (brokerEndpoint.TargetHost != listenAddress)
            {
                throw new DistributedApplicationException(
                    $"Airflow '{resource.Name}' takes workers on other hosts at {listenAddress}, but its broker '{resource.Broker.Resource.Name}' listens on " +
                    $"{brokerEndpoint.TargetHost}: call WithListenAddress(\"{listenAddress}\", port) on it.");
            }
            return Task.CompletedTask;
        });

        airflow.WatchInBackground(async (notifications, logger, stopping) =>
        {
            await notifications.WaitForResourceHealthyAsync(resource.Broker.Resource.Name, stopping).ConfigureAwait(false);
            var join = await JoinFileOf(resource, stopping).ConfigureAwait(false);
            await using (var broker = await ConnectionMultiplexer.ConnectAsync(
                             (await resource.Broker.Resource.ConnectionStringExpression.GetValueAsync(stopping).ConfigureAwait(false))!).ConfigureAwait(false))
            {
                // Workers check it, so that a join file of another deployment is named as such, not as a wrong password.
                await broker.GetDatabase(CeleryBroker.BrokerDatabase).StringSetAsync(JoinFile.DeploymentKey, join.DeploymentId).ConfigureAwait(false);
            }
            join.Write(resource.Paths.JoinFile);
            // Where it is, on the deployment's row (its properties) and in its log; never what it holds.
            await notifications.PublishUpdateAsync(resource, s => s with
            {
                Properties = [.. s.Properties.Where(p => p.Name != JoinFileProperty), new(JoinFileProperty, resource.Paths.JoinFile)],
            }).ConfigureAwait(false);
            logger.LogInformation("Workers on other hosts join with {JoinFile} (owner-only: it holds the broker's password). On such a host: " +
                "dotnet run --project AppHost -- --Airflow:Role=workers --Airflow:Join=PATH-OF-ITS-COPY", resource.Paths.JoinFile);
        }, "The join file for workers on other hosts could not be written");

        foreach (var (node, index) in remoteNodes.Select((node, index) => (node, index + 1)))
        {
            var remote = builder.AddResource(new RemoteCeleryWorkerResource($"{resource.Name}-remote-worker-{index}", node))
                .WithParentRelationship(airflow)
                .WithInitialState(new()
                {
                    ResourceType = "Remote Celery worker",
                    State = KnownResourceStates.Running,
                    Properties = [new("celery.node", node)],
                })
                .WithCeleryPingHealthCheck(resource.Broker.Resource.ConnectionStringExpression, node);
            resource.RemoteWorkerList.Add(remote.Resource);
        }
        return airflow;
    }

    private static async Task<JoinFile> JoinFileOf(AirflowResource airflow, CancellationToken cancellationToken)
    {
        async Task<string> Value(ParameterResource parameter) => await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? "";
        var broker = airflow.Broker;
        var api = airflow.ApiServer.GetEndpoint("http");
        return new JoinFile
        {
            Deployment = airflow.Name,
            DeploymentId = JoinFile.IdFor(await Value(airflow.Secrets.JwtSecret).ConfigureAwait(false)),
            AirflowVersion = airflow.Settings.Version,
            BrokerKind = broker.Kind.ToString().ToLowerInvariant(),
            BrokerHost = broker.Endpoint.Host,
            BrokerPort = broker.Endpoint.Port,
            BrokerPassword = broker.Password is { } password ? await Value(password).ConfigureAwait(false) : "",
            ExecutionApiUrl = $"{api.Url}/execution/",
            WorkerLogServerPort = airflow.RemoteAccess!.WorkerLogServerPort,
            SecretKey = await Value(airflow.Secrets.SecretKey).ConfigureAwait(false),
        };
    }
}
