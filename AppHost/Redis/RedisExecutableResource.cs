using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Redis;

/// <summary>
/// Redis run from a local <c>redis-server</c> binary, for machines without a container engine (the setting
/// <c>Redis:Executable</c>, e.g. Debian's <c>/usr/bin/redis-server</c>); clients see what Aspire's <c>RedisResource</c> gives them.
/// </summary>
/// <param name="name">The resource name, also the connection string name.</param>
/// <param name="command">The path of the <c>redis-server</c> binary.</param>
/// <param name="workingDirectory">Where its configuration file is written and the process runs.</param>
/// <param name="password">The password parameter.</param>
public sealed class RedisExecutableResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    /// <summary>The name of the Redis-protocol endpoint (as <c>RedisResource</c>'s).</summary>
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    /// <summary>The server's Redis-protocol endpoint.</summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    /// <summary>The password parameter.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>The configuration file it starts with (port, bind address, password, no persistence): written, owner-only, before each start.</summary>
    public string ConfigurationFile => Path.Combine(WorkingDirectory, "redis.conf");

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}
