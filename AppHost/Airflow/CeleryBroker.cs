using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// A Redis-protocol server as Celery's broker (db <see cref="BrokerDatabase"/>) and result backend
/// (db <see cref="ResultBackendDatabase"/>): the resource, and the URLs Celery takes for it.
/// </summary>
public sealed class CeleryBroker
{
    /// <summary>Celery's broker database.</summary>
    public const int BrokerDatabase = 0;

    /// <summary>Celery's result backend database.</summary>
    public const int ResultBackendDatabase = 1;

    private CeleryBroker(IResourceWithConnectionString resource, EndpointReference endpoint, ParameterResource? password, CeleryBrokerKind kind)
    {
        Resource = resource;
        Endpoint = endpoint;
        Password = password;
        Kind = kind;
    }

    /// <summary>Which server it is, as the Verifier checks it (<c>broker-is-dragonfly</c>, <c>broker-is-redis</c>).</summary>
    public CeleryBrokerKind Kind { get; }

    /// <summary>The server.</summary>
    public IResourceWithConnectionString Resource { get; }

    /// <summary>Its Redis-protocol endpoint.</summary>
    public EndpointReference Endpoint { get; }

    /// <summary>Its password parameter, or null for a server without one.</summary>
    public ParameterResource? Password { get; }

    /// <summary><c>[celery] broker_url</c>.</summary>
    public ReferenceExpression BrokerUrl => Url(BrokerDatabase);

    /// <summary><c>[celery] result_backend</c>.</summary>
    public ReferenceExpression ResultBackendUrl => Url(ResultBackendDatabase);

    /// <summary>The servers Celery can use here; anything else fails when the model is built, naming what is accepted.</summary>
    public static CeleryBroker For(IResource resource) => resource switch
    {
        IDragonflyResource dragonfly => new(dragonfly, dragonfly.PrimaryEndpoint, dragonfly.PasswordParameter, CeleryBrokerKind.Dragonfly),
        RedisResource redis => new(redis, redis.PrimaryEndpoint, redis.PasswordParameter, CeleryBrokerKind.Redis),
        RedisExecutableResource redis => new(redis, redis.PrimaryEndpoint, redis.PasswordParameter, CeleryBrokerKind.Redis),
        _ => throw new ArgumentException(
            $"'{resource.Name}' ({resource.GetType().Name}) cannot be Celery's broker here: give a Dragonfly resource (AddDragonfly, " +
            "AddDragonflyExecutable) or a Redis one (AddRedis, AddRedisExecutable).",
            nameof(resource)),
    };

    /// <summary>
    /// The URL Celery (Kombu's Redis transport) takes for one logical database:
    /// <c>redis://:PASSWORD@HOST:PORT/N</c>, the password URL-encoded and a reference until a process starts.
    /// </summary>
    /// <param name="database">The database number; Redis-protocol servers serve 16 (0 to 15) by default.</param>
    public ReferenceExpression Url(int database)
        => Url(Password, ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}"), database);

    /// <summary>
    /// The same URL for a server known by its address (a workers-only host's broker, from the join file):
    /// <c>redis://:PASSWORD@HOST:PORT/N</c>, the password URL-encoded.
    /// </summary>
    /// <param name="password">The server's password parameter, or null for a server without one.</param>
    /// <param name="hostAndPort"><c>HOST:PORT</c>.</param>
    /// <param name="database">The database number, 0 to 15.</param>
    public static ReferenceExpression Url(ParameterResource? password, ReferenceExpression hostAndPort, int database)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(database);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(database, 15);

        var builder = new ReferenceExpressionBuilder();
        builder.AppendLiteral("redis://");
        if (password is not null)
        {
            builder.Append($":{password:uri}@");
        }
        builder.Append($"{hostAndPort}");
        builder.AppendLiteral($"/{database}");
        return builder.Build();
    }
}

/// <summary>The Redis-protocol servers Celery's broker can be here.</summary>
public enum CeleryBrokerKind
{
    /// <summary>Dragonfly (the default).</summary>
    Dragonfly,

    /// <summary>Redis.</summary>
    Redis,
}
