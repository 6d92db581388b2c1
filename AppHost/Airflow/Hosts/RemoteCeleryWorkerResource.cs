using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow.Hosts;

/// <summary>
/// A Celery worker of the deployment that runs on another host (started there with <c>--Airflow:Role=workers</c>): no
/// process here, a row on this dashboard whose health is the worker's answer to Celery's ping through the broker.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="nodeName">Its Celery node name, <c>name@host</c>.</param>
public sealed class RemoteCeleryWorkerResource(string name, string nodeName) : Resource(name), IResourceWithWaitSupport
{
    /// <summary>Its Celery node name, <c>name@host</c>, which the health check pings.</summary>
    public string NodeName { get; } = nodeName;
}

/// <summary>Where workers on other hosts reach a deployment.</summary>
/// <param name="ListenAddress">The address the broker and the api-server listen on.</param>
/// <param name="WorkerLogServerPort">The log-server port every worker serves on and the api-server reads from.</param>
public sealed record RemoteAccess(string ListenAddress, int WorkerLogServerPort);
