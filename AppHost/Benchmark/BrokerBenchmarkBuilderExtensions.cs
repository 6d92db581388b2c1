using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Adds the broker benchmark: which broker serves this stack better on this machine.</summary>
public static class BrokerBenchmarkBuilderExtensions
{
    /// <summary>
    /// Adds a one-shot resource that runs real Celery on each of <paramref name="brokers"/> from <paramref name="environment"/>'s
    /// Python, in alternating rounds, once the environment is ready and every broker healthy; it writes
    /// <paramref name="report"/> (<c>.airflow/broker-benchmark.json</c> in the AppHost) and, when it ends, its log on the
    /// dashboard gets the table and the chart is written beside the report.
    /// The brokers' Celery URLs (passwords included) reach it as environment variables, never on its command line.
    /// </summary>
    public static IResourceBuilder<BrokerBenchmarkResource> AddBrokerBenchmark(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<PythonEnvironmentResource> environment,
        IReadOnlyList<IResourceBuilder<IResourceWithConnectionString>> brokers, BenchmarkSettings settings, string report)
    {
        var top = RepositoryPaths.Top(builder.AppHostDirectory);
        var script = BrokerBenchmark.ScriptPath(builder.AppHostDirectory);
        var benchmark = builder.AddResource(new BrokerBenchmarkResource(name, environment.Resource.VirtualEnvironment.GetExecutable("python"), top, report))
            .WithArgs([script, "--brokers", string.Join(',', brokers.Select(b => b.Resource.Name)), "--output", report, .. settings.Arguments()])
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WaitForCompletion(environment);
        foreach (var broker in brokers)
        {
            var celery = CeleryBroker.For(broker.Resource);
            benchmark.WithEnvironment(BrokerBenchmark.BrokerUrlVariable(broker.Resource.Name), celery.BrokerUrl)
                .WithEnvironment(BrokerBenchmark.ResultBackendUrlVariable(broker.Resource.Name), celery.ResultBackendUrl)
                .WaitFor(broker);
        }

        // `dotnet run` shows no resource's log: the outcome goes to the AppHost's console too, a failure with the script's
        // own last line (it ends with one line naming the broker and the cause).
        return benchmark.WatchInBackground(async (IServiceProvider services, ILogger logger, CancellationToken stopping) =>
        {
            var console = services.GetRequiredService<ILoggerFactory>().CreateLogger("AirflowAspire.BrokerBenchmark");
            var logs = services.GetRequiredService<ResourceLoggerService>();
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            var lastScriptLine = "";
            using var following = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var follow = Task.Run(async () =>
            {
                await foreach (var batch in logs.WatchAsync(name).WithCancellation(following.Token).ConfigureAwait(false))
                {
                    foreach (var line in batch.Where(l => l.Content.Contains(BrokerBenchmark.ScriptPrefix, StringComparison.Ordinal)))
                    {
                        lastScriptLine = line.Content;
                    }
                }
            }, following.Token);

            var ended = await notifications.WaitForResourceAsync(name, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text)
                && e.Snapshot.ExitCode is not null, stopping).ConfigureAwait(false);
            if (ended.Snapshot.ExitCode == 0)
            {
                var table = BrokerBenchmark.Render(report);
                foreach (var line in table.Split('\n'))
                {
                    logger.LogInformation("{Line}", line);
                }
                logger.LogInformation("Report: {Report}; chart: {Chart}", report, BrokerBenchmark.ChartPath(report));
                console.LogInformation("The broker benchmark finished.\n{Table}\nReport: {Report}; chart: {Chart}", table, report, BrokerBenchmark.ChartPath(report));
            }
            else
            {
                // The last lines of the log may still be on their way.
                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
                console.LogError("The broker benchmark failed (exit code {ExitCode}): {Cause} The whole log is on the dashboard's '{Resource}' page.",
                    ended.Snapshot.ExitCode, lastScriptLine is { Length: > 0 } ? lastScriptLine.Trim() : "it wrote no line of its own.", name);
            }
            await following.CancelAsync().ConfigureAwait(false);
            await follow.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }, "The benchmark ran, but its report could not be read or charted");
    }
}
