using System.Diagnostics;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StandIn;

/// <summary>
/// Airflow 3.0.3's dag-processor tags <c>dag_processing.processes</c> with the <c>DagFileInfo</c> object itself
/// (dag_processing/manager.py), which OTLP cannot encode: at every metrics export the SDK logs "Failed to encode key
/// file_path" with a traceback (seen on real 3.0.3 with the dashboard on). The stand-in plays it on the 3.0 line, and the
/// block list the AppHost gives that line's dag-processor (<see cref="AirflowLine.DagFileObjectMetrics"/>) silences it,
/// through the same reading of <c>[metrics] metrics_block_list</c> as Airflow's (metrics/validators.py).
/// </summary>
public sealed class DagFileMetricTagsTests
{
    private const string EncodingError = "Failed to encode key file_path: Invalid type <class 'airflow.dag_processing.manager.DagFileInfo'> " +
        "of value DagFileInfo(rel_path=PosixPath('hello_dragonfly.py'), bundle_name='dags-folder'";

    [Theory]
    [InlineData("3.0.3", null, true)]
    [InlineData("3.0.3", AirflowLine.DagFileObjectMetrics, false)]
    // Another block list leaves the metric, and the error, in place.
    [InlineData("3.0.3", "^scheduler", true)]
    // A later line (3.2; 3.3's dag-processor does not parse with telemetry on at all, apache/airflow#73583).
    [InlineData("3.2.2", null, false)]
    public async Task The_30_dag_processors_file_object_tag_fails_every_export_unless_the_metric_is_blocked(string version, string? blockList, bool fails)
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create(version);
        var home = Path.Combine(standIn.Folder, "home");
        var dags = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "airflow", "dags"));
        ProcessStartInfo Airflow(params string[] arguments)
        {
            var start = new ProcessStartInfo(Path.Combine(standIn.VirtualEnvironment, "bin", "airflow"), arguments);
            start.Environment["AIRFLOW_HOME"] = home;
            start.Environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = $"sqlite:///{Path.Combine(home, "airflow.db")}";
            start.Environment["AIRFLOW__CORE__DAGS_FOLDER"] = dags;
            // Nothing listens on the discard port: each export fails on its own, which the encoding error does not depend on.
            start.Environment["AIRFLOW__METRICS__OTEL_ON"] = "True";
            start.Environment["AIRFLOW__METRICS__OTEL_HOST"] = "127.0.0.1";
            start.Environment["AIRFLOW__METRICS__OTEL_PORT"] = "9";
            start.Environment["AIRFLOW__METRICS__OTEL_INTERVAL_MILLISECONDS"] = "300";
            if (blockList is not null)
            {
                start.Environment["AIRFLOW__METRICS__METRICS_BLOCK_LIST"] = blockList;
            }
            return start;
        }
        Assert.Equal(0, (await ProcessRun.RunAsync(Airflow("db", "migrate"), TimeSpan.FromSeconds(60))).ExitCode);

        // Six loops of half a second: several exports.
        var (exitCode, output) = await ProcessRun.RunAsync(Airflow("dag-processor", "--num-runs", "6"), TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        Assert.Contains("Processed ", output);
        Assert.Equal(fails, output.Contains(EncodingError, StringComparison.Ordinal));
    }
}
