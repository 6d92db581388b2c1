using System.Diagnostics;
using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The start as it happened: when each resource started, ran, became healthy and ended, in seconds after the AppHost started,
/// written once to the AppHost's console (and the verifier's log) when the Verifier's first run ends. It shows which phases
/// ran one after the other; the start-to-verdict benchmark reads it.
/// </summary>
public static class StartTimeline
{
    /// <summary>The first line of the timeline on the console.</summary>
    public const string Heading = "Start timeline (seconds after the AppHost started):";

    /// <summary>The last line: <c>Start to verdict: N s</c>.</summary>
    public const string Total = "Start to verdict:";

    private static readonly string[] Ended = [KnownResourceStates.Finished, KnownResourceStates.Exited, KnownResourceStates.FailedToStart];

    /// <summary>Follows every resource from the start and writes the timeline when <paramref name="verifier"/> first ends.</summary>
    public static IResourceBuilder<T> WithStartTimeline<T>(this IResourceBuilder<T> verifier) where T : IResource
    {
        var clock = Stopwatch.StartNew();
        return verifier.WatchInBackground(async (IServiceProvider services, ILogger logger, CancellationToken stopping) =>
        {
            clock.Restart();
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            var events = new List<(double Seconds, string Resource, string What)>();
            var seen = new HashSet<(string, string)>();
            await foreach (var change in notifications.WatchAsync(stopping).ConfigureAwait(false))
            {
                var name = change.Resource.Name;
                // What starts: not the parameters, nor the dashboard.
                if (change.Resource is ParameterResource || change.Snapshot.ResourceType is "Parameter" || name == "aspire-dashboard")
                {
                    continue;
                }
                var state = change.Snapshot.State?.Text;
                var healthy = change.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                    && change.Snapshot.HealthReports.Length > 0;
                // Running is when a process started (before, it waited); healthy is when its health checks first passed.
                string? what = null;
                if (state == KnownResourceStates.Running)
                {
                    what = healthy ? "healthy" : "running";
                }
                else if (Ended.Contains(state))
                {
                    what = change.Snapshot.ExitCode is { } code ? $"{state!.ToLowerInvariant()} (exit {code})" : state!.ToLowerInvariant();
                }
                // A resource's health is reported in the same Running state: "running" first, then "healthy".
                if (what is null || !seen.Add((name, what.Split(' ')[0])))
                {
                    continue;
                }
                events.Add((clock.Elapsed.TotalSeconds, name, what));
                if (name == verifier.Resource.Name && Ended.Contains(state))
                {
                    Write(services, logger, events);
                    return;
                }
            }
        }, "The start timeline could not be written");
    }

    private static void Write(IServiceProvider services, ILogger verifierLog, List<(double Seconds, string Resource, string What)> events)
    {
        var width = events.Max(e => e.Resource.Length);
        var text = new StringBuilder(Heading).AppendLine();
        foreach (var (seconds, resource, what) in events)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {seconds,7:0.0}  {resource.PadRight(width)}  {what}").AppendLine();
        }
        text.Append(CultureInfo.InvariantCulture, $"{Total} {events[^1].Seconds:0.0} s");
        services.GetRequiredService<ILoggerFactory>().CreateLogger("AirflowAspire.StartTimeline").LogInformation("{Timeline}", text.ToString());
        verifierLog.LogInformation("{Timeline}", text.ToString());
    }
}
