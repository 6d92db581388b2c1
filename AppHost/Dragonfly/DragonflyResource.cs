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
    private EndpointReference? _primaryEndpoint;

    /// <inheritdoc />
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, IDragonflyResource.PrimaryEndpointName);

    /// <inheritdoc />
    public ParameterResource? PasswordParameter { get; } = password;

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression => IDragonflyResource.ConnectionStringOf(this);
}
