using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Aspire's own words when a resource cannot run are generic ("RuntimeUnhealthy",
/// "FailedToStart"). These put what it means for this resource, and the fix, into the
/// resource's log on the dashboard.
/// </summary>
public static class ResourceStateExplanations
{
    /// <summary>DCP's state for a container when no container engine answers.</summary>
    public const string RuntimeUnhealthy = "RuntimeUnhealthy";

    /// <summary>
    /// Logs <paramref name="message"/> as an error in the resource's log when it reaches <paramref name="state"/>.
    /// </summary>
    public static IResourceBuilder<T> ExplainState<T>(this IResourceBuilder<T> builder, string state, string message) where T : IResource
    {
        var resource = builder.Resource;
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var services = @event.Services;
            var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);

            _ = Task.Run(async () =>
            {
                try
                {
                    await notifications.WaitForResourceAsync(resource.Name, [state], stopping).ConfigureAwait(false);
                    logger.LogError("{Explanation}", message);
                }
                catch (OperationCanceledException)
                {
                    // The AppHost stopped first.
                }
            }, stopping);
            return Task.CompletedTask;
        });
        return builder;
    }
}
