using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;
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

        return benchmark.WatchInBackground(async (notifications, logger, stopping) =>
        {
            var ended = await notifications.WaitForResourceAsync(name, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text)
                && e.Snapshot.ExitCode is not null, stopping).ConfigureAwait(false);
            if (ended.Snapshot.ExitCode == 0)
            {
                foreach (var line in BrokerBenchmark.Render(report).Split('\n'))
                {
                    logger.LogInformation("{Line}", line);
                }
                logger.LogInformation("Report: {Report}; chart: {Chart}", report, BrokerBenchmark.ChartPath(report));
            }
        }, "The benchmark ran, but its report could not be read or charted");
    }
}
