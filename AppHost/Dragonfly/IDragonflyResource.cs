using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// A Dragonfly server in the application model. It runs either as a container
/// (<see cref="DragonflyResource"/>) or as a local binary (<see cref="DragonflyExecutableResource"/>);
/// clients see the same endpoint, password, health check and connection string either way.
/// </summary>
/// <remarks>The members have Aspire's <c>RedisResource</c> names, so code written for one reads the same for the other.</remarks>
public interface IDragonflyResource :
    IResourceWithConnectionString, IResourceWithEndpoints, IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport
{
    /// <summary>The name of the Redis-protocol endpoint.</summary>
    public const string PrimaryEndpointName = "tcp";

    /// <summary>The server's Redis-protocol endpoint.</summary>
    EndpointReference PrimaryEndpoint { get; }

    /// <summary>The password parameter, or null for a server without one.</summary>
    ParameterResource? PasswordParameter { get; }

    /// <summary>StackExchange.Redis form: <c>host:port,password=…</c>, the password a reference until a process starts.</summary>
    internal static ReferenceExpression ConnectionStringOf(IDragonflyResource resource)
    {
        var builder = new ReferenceExpressionBuilder();
        builder.Append($"{resource.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
        if (resource.PasswordParameter is not null)
        {
            builder.Append($",password={resource.PasswordParameter}");
        }
        return builder.Build();
    }

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
    {
        yield return new("Host", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}"));
        yield return new("Port", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Port)}"));
        if (PasswordParameter is not null)
        {
            yield return new("Password", ReferenceExpression.Create($"{PasswordParameter}"));
        }
    }
}
