using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// Dragonfly, a multi-threaded Redis-protocol server, run as a container.
/// </summary>
/// <param name="name">The resource name, also the connection string name.</param>
/// <param name="password">The password parameter; null for a server without one.</param>
public sealed class DragonflyResource(string name, ParameterResource? password)
    : ContainerResource(name), IDragonflyResource
{
    private DragonflyEndpoint? _endpoint;

    /// <inheritdoc />
    public DragonflyEndpoint Endpoint => _endpoint ??= new DragonflyEndpoint(this, password);

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression => Endpoint.ConnectionString;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
        => Endpoint.ConnectionProperties();
}
