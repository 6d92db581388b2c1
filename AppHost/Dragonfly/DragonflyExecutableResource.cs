using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// Dragonfly run from a local binary, for machines without a container engine
/// (the setting <c>Dragonfly:Executable</c>).
/// </summary>
/// <param name="name">The resource name, also the connection string name.</param>
/// <param name="command">The path of the <c>dragonfly</c> binary.</param>
/// <param name="workingDirectory">Where the process runs (and writes snapshots, when they are on).</param>
/// <param name="password">The password parameter; null for a server without one.</param>
public sealed class DragonflyExecutableResource(string name, string command, string workingDirectory, ParameterResource? password)
    : ExecutableResource(name, command, workingDirectory), IDragonflyResource
{
    private EndpointReference? _primaryEndpoint;

    /// <inheritdoc />
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, IDragonflyResource.PrimaryEndpointName);

    /// <inheritdoc />
    public ParameterResource? PasswordParameter { get; } = password;

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression => IDragonflyResource.ConnectionStringOf(this);
}
