using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Benchmark;

/// <summary>
/// The broker benchmark: <c>broker_benchmark.py</c> run once by the Python of the deployment's environment (real Celery,
/// Airflow's Celery settings), against each broker in turn.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="python">The environment's <c>python</c>.</param>
/// <param name="workingDirectory">Where it runs (the repository's top).</param>
/// <param name="report">Where its JSON goes; the chart is written beside it.</param>
public sealed class BrokerBenchmarkResource(string name, string python, string workingDirectory, string report)
    : ExecutableResource(name, python, workingDirectory)
{
    /// <summary>The JSON report, <c>.airflow/broker-benchmark.json</c> by default.</summary>
    public string Report { get; } = report;
}
