namespace AirflowAspire.AppHost.Benchmark;

/// <summary>
/// The broker benchmark's contract for the AppHost: where its script is, the environment variables it takes the
/// URLs from, and what to do with its report once it has run (<see cref="Render"/>).
/// </summary>
public static class BrokerBenchmark
{
    /// <summary>The report's file name, in Airflow's home (<c>.airflow/</c>).</summary>
    public const string ReportFileName = "broker-benchmark.json";

    /// <summary>How the script begins each line of its own (<c>PROGRAM</c> in the script), its failure line included.</summary>
    public const string ScriptPrefix = "broker-benchmark: ";

    /// <summary>The script, run with the Python of the Airflow environment (Celery and redis-py).</summary>
    public static string ScriptPath(string appHostDirectory) => Path.Combine(appHostDirectory, "Benchmark", "broker_benchmark.py");

    /// <summary>
    /// The variable the script reads a broker's URL from (<c>redis://:PASSWORD@host:port/0</c>). URLs go in the
    /// environment, never on the command line, where other users of the machine could read the password.
    /// </summary>
    public static string BrokerUrlVariable(string broker) => $"BENCH_{broker.ToUpperInvariant()}_BROKER_URL";

    /// <summary>The variable the script reads a broker's result backend URL from (<c>redis://:PASSWORD@host:port/1</c>).</summary>
    public static string ResultBackendUrlVariable(string broker) => $"BENCH_{broker.ToUpperInvariant()}_RESULT_BACKEND_URL";

    /// <summary>The chart's path for a report at <paramref name="jsonPath"/>: beside it, the same name ending in <c>.svg</c>
    /// (<c>.airflow/broker-benchmark.svg</c> for the AppHost's report).</summary>
    public static string ChartPath(string jsonPath) => Path.ChangeExtension(Path.GetFullPath(jsonPath), ".svg");

    /// <summary>
    /// Reads and checks the report at <paramref name="jsonPath"/>, writes its chart beside it (<see cref="ChartPath"/>)
    /// and returns its table, for the benchmark resource's log.
    /// </summary>
    /// <exception cref="InvalidDataException">The report is not what the script writes after a run that worked; the message says what is wrong.</exception>
    public static string Render(string jsonPath)
    {
        var report = BrokerBenchmarkReport.Load(jsonPath);
        BrokerBenchmarkChart.Save(report, ChartPath(jsonPath));
        return report.ToTable();
    }
}
