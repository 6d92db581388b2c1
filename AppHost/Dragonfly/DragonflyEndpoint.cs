using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// How clients reach a Dragonfly server, whether it runs as a container or as a local binary:
/// its endpoint, its password, and the connection strings built from both as references,
/// so the password is never copied into a string before the moment a process starts.
/// </summary>
public sealed class DragonflyEndpoint
{
    internal const string EndpointName = "tcp";
    internal const string Scheme = "redis";

    internal DragonflyEndpoint(IResourceWithEndpoints resource, ParameterResource? password)
    {
        Reference = new EndpointReference(resource, EndpointName);
        Password = password;
    }

    /// <summary>The server's Redis-protocol endpoint.</summary>
    public EndpointReference Reference { get; }

    /// <summary>The parameter holding the password, or null when the server has none.</summary>
    public ParameterResource? Password { get; }

    /// <summary>The host clients on this machine connect to.</summary>
    public EndpointReferenceExpression Host => Reference.Property(EndpointProperty.Host);

    /// <summary>The port clients on this machine connect to.</summary>
    public EndpointReferenceExpression Port => Reference.Property(EndpointProperty.Port);

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionString
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            builder.Append($"{Reference.Property(EndpointProperty.HostAndPort)}");
            if (Password is not null)
            {
                builder.Append($",password={Password}");
            }
            return builder.Build();
        }
    }

    /// <summary>
    /// The URL Celery (Kombu's Redis transport) takes for one logical database:
    /// <c>redis://:PASSWORD@HOST:PORT/N</c>, the password URL-encoded.
    /// </summary>
    /// <param name="database">The database number; Dragonfly serves 16 (0 to 15) by default.</param>
    public ReferenceExpression CeleryUrl(int database)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(database);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(database, 15);

        var builder = new ReferenceExpressionBuilder();
        builder.AppendLiteral($"{Scheme}://");
        if (Password is not null)
        {
            builder.Append($":{Password:uri}@");
        }
        builder.Append($"{Host}");
        builder.AppendLiteral(":");
        builder.Append($"{Port}");
        builder.AppendLiteral($"/{database}");
        return builder.Build();
    }

    internal IEnumerable<KeyValuePair<string, ReferenceExpression>> ConnectionProperties()
    {
        yield return new("Host", ReferenceExpression.Create($"{Host}"));
        yield return new("Port", ReferenceExpression.Create($"{Port}"));
        if (Password is not null)
        {
            yield return new("Password", ReferenceExpression.Create($"{Password}"));
        }
        yield return new("Uri", CeleryUrl(0));
    }
}
