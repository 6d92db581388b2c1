using Aspire.Hosting.ApplicationModel;
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
        var name = builder.Resource.Name;
        return builder.WatchInBackground(async (notifications, logger, stopping) =>
        {
            await notifications.WaitForResourceAsync(name, [state], stopping).ConfigureAwait(false);
            logger.LogError("{Explanation}", message);
        }, $"The explanation for {state} could not be given");
    }
}
