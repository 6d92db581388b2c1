using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// A Dragonfly server in the application model. It runs either as a container
/// (<see cref="DragonflyResource"/>) or as a local binary (<see cref="DragonflyExecutableResource"/>);
/// clients see the same endpoint, password, health check and connection strings either way.
/// </summary>
public interface IDragonflyResource :
    IResourceWithConnectionString, IResourceWithEndpoints, IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport
{
    /// <summary>How clients reach the server.</summary>
    DragonflyEndpoint Endpoint { get; }
}
