using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The real AppHost started through <see cref="DistributedApplicationTestingBuilder"/>: DCP runs
/// its processes, as under <c>dotnet run</c>. Every wait is bounded.
/// </summary>
public sealed class RunningAppHost : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _logs = new();
    private readonly CancellationTokenSource _stop = new();

    private RunningAppHost(DistributedApplication app) => App = app;

    public DistributedApplication App { get; }

    public static Task<RunningAppHost> StartAsync(TimeSpan timeout, params string[] args) => StartAsync(timeout, dashboard: false, args);

    /// <summary>Starts the AppHost; with <paramref name="dashboard"/>, Aspire's dashboard too (the testing builder leaves it out by default).</summary>
    public static async Task<RunningAppHost> StartAsync(TimeSpan timeout, bool dashboard, params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args,
            (options, _) => options.DisableDashboard = !dashboard, TestContext.Current.CancellationToken);
        // Every resource's log would be copied to the test output; the tests quote the logs they need.
        builder.Services.AddLogging(logging => logging.AddFilter("AppHost.Resources", LogLevel.Warning));
        var running = new RunningAppHost(await builder.BuildAsync(TestContext.Current.CancellationToken));
        using var bound = Bound(timeout);
        await running.App.StartAsync(bound.Token);
        // After the start, when DCP has named each resource's instances; the backlog is replayed.
        running.CollectLogs();
        return running;
    }

    /// <summary>Waits until the resource reaches one of the states, and returns its last event.</summary>
    public async Task<ResourceEvent> WaitForStateAsync(string resource, TimeSpan timeout, params string[] states)
    {
        using var bound = Bound(timeout);
        return await App.ResourceNotifications.WaitForResourceAsync(resource, e => states.Contains(e.Snapshot.State?.Text), bound.Token);
    }

    public async Task WaitForHealthyAsync(string resource, TimeSpan timeout)
    {
        using var bound = Bound(timeout);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, bound.Token);
    }

    /// <summary>Waits until a line of the resource's log contains the text, and returns the line.</summary>
    public async Task<string> WaitForLogAsync(string resource, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Log(resource).FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal)) is { } found)
            {
                return found;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"'{resource}' logged no line containing '{text}' within {timeout}. Its log:\n{string.Join('\n', Log(resource))}");
    }

    public IReadOnlyList<string> Log(string resource) => [.. _logs.GetOrAdd(resource, _ => new())];

    /// <summary>The dashboard's resource, as Aspire names it (its KnownResourceNames.AspireDashboard is internal).</summary>
    public const string DashboardResource = "aspire-dashboard";

    /// <summary>
    /// The lines of the dashboard's own log (when it runs) at error level, or with an exception: where it says that a
    /// request to its OTLP endpoint failed.
    /// </summary>
    public IEnumerable<string> DashboardErrors => Log(DashboardResource)
        .Where(line => line.Contains("fail:", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal)
            || line.Contains("Exception", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await App.DisposeAsync();
        _stop.Dispose();
    }

    private void CollectLogs()
    {
        var loggers = App.Services.GetRequiredService<ResourceLoggerService>();
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources)
        {
            var lines = _logs.GetOrAdd(resource.Name, _ => new());
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in loggers.WatchAsync(resource).WithCancellation(_stop.Token))
                    {
                        foreach (var line in batch)
                        {
                            lines.Enqueue(line.Content);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The test is over.
                }
            });
        }
    }

    private static CancellationTokenSource Bound(TimeSpan timeout)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(timeout);
        return bound;
    }
}
