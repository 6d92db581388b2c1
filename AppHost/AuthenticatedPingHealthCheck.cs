using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>The health check of a Redis-protocol server the AppHost starts itself (Dragonfly, or Redis from a local binary).</summary>
public static class AuthenticatedPingHealthCheck
{
    /// <summary>
    /// Healthy when the server answers an authenticated PING: registered as Aspire's Redis integration registers its own,
    /// with the connection string (password included) captured when Aspire publishes it. <c>WaitFor</c> on the resource then
    /// waits until it accepts authenticated commands.
    /// </summary>
    public static IResourceBuilder<T> WithAuthenticatedPingHealthCheck<T>(this IResourceBuilder<T> builder) where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(builder.Resource, async (_, ct) =>
        {
            connectionString = await builder.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"The connection string of '{builder.Resource.Name}' resolved to null.");
        });

        var key = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks()
            .AddRedis(_ => connectionString ?? throw new InvalidOperationException("The connection string is not available yet."), name: key);
        return builder.WithHealthCheck(key);
    }
}
