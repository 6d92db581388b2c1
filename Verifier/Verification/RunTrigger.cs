using System.Diagnostics;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification;

/// <summary>Triggers a run of the DAG and polls it to its end: the run step's work, and each run of the benchmark.</summary>
/// <param name="airflow">Airflow's REST API.</param>
/// <param name="options">The DAG, the run timeout and the poll interval.</param>
public sealed class RunTrigger(AirflowClient airflow, VerifierOptions options)
{
    /// <summary>A run id of the Verifier's own: sortable, unique, and safe in a URL path.</summary>
    public static string NewRunId() => $"verifier__{DateTime.UtcNow:yyyyMMddTHHmmssfff}_{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Triggers one run and polls it to a terminal state; null when it did not end in time.</summary>
    public async Task<(DagRun Run, TimeSpan Latency)?> TriggerAndWaitAsync(string runId, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var run = await airflow.TriggerAsync(options.DagId, runId, ct).ConfigureAwait(false);
        var deadline = clock.Elapsed + options.RunTimeout;
        while (!run.IsTerminal)
        {
            if (clock.Elapsed > deadline)
            {
                return null;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
            run = await airflow.GetRunAsync(options.DagId, runId, ct).ConfigureAwait(false);
        }
        VerifierTelemetry.RunLatency.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("state", run.State));
        return (run, clock.Elapsed);
    }
}
