using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Work that follows resources' states for as long as the AppHost runs: started before any resource, stopped with the
/// AppHost, its failures logged on the resource it speaks for instead of lost on a background thread.
/// </summary>
public static class ResourceWatch
{
    /// <summary>
    /// Runs <paramref name="watch"/> in the background from the start, with the resource notifications, the logger of
    /// <paramref name="resource"/> and the AppHost's stopping token. Stopping ends it quietly; <paramref name="failure"/>
    /// is logged on the resource with any other exception.
    /// </summary>
    public static IResourceBuilder<T> WatchInBackground<T>(this IResourceBuilder<T> resource,
        Func<ResourceNotificationService, ILogger, CancellationToken, Task> watch, string failure) where T : IResource
        => resource.WatchInBackground(
            (IServiceProvider services, ILogger logger, CancellationToken stopping) => watch(services.GetRequiredService<ResourceNotificationService>(), logger, stopping),
            failure);

    /// <summary>
    /// The same, for a watch that needs more of the AppHost's services than the notifications (the console's logger, the
    /// resources' logs): it gets the service provider.
    /// </summary>
    public static IResourceBuilder<T> WatchInBackground<T>(this IResourceBuilder<T> resource,
        Func<IServiceProvider, ILogger, CancellationToken, Task> watch, string failure) where T : IResource
    {
        resource.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var services = @event.Services;
            var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(resource.Resource);
            _ = Task.Run(async () =>
            {
                try
                {
                    await watch(services, logger, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // The AppHost stopped first.
                }
                catch (Exception exception)
                {
                    logger.LogError("{Failure}: {Message}", failure, exception.Message);
                }
            }, stopping);
            return Task.CompletedTask;
        });
        return resource;
    }
}
