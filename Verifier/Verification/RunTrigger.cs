using System.Diagnostics;
using System.Text.Json.Nodes;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification;

/// <summary>Triggers a run of the DAG and polls it to its end: the run step's work, and each run of the benchmark.</summary>
/// <param name="airflow">Airflow's REST API.</param>
/// <param name="options">The DAG, the run timeout and the poll interval.</param>
public sealed class RunTrigger(AirflowClient airflow, VerifierOptions options)
{
    /// <summary>A run id of the Verifier's own: sortable, unique, and safe in a URL path.</summary>
    public static string NewRunId() => $"verifier__{DateTime.UtcNow:yyyyMMddTHHmmssfff}_{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Triggers one run of <see cref="VerifierOptions.DagId"/> and polls it to a terminal state; null when it did not end in time.</summary>
    public Task<(DagRun Run, TimeSpan Latency)?> TriggerAndWaitAsync(string runId, CancellationToken ct)
        => TriggerAndWaitAsync(options.DagId, runId, null, ct);

    /// <summary>
    /// Triggers one run of <paramref name="dagId"/> with <paramref name="conf"/> and polls it, every
    /// <see cref="VerifierOptions.PollInterval"/>, to a terminal state; null when it did not end within
    /// <see cref="VerifierOptions.RunTimeout"/>.
    /// </summary>
    public async Task<(DagRun Run, TimeSpan Latency)?> TriggerAndWaitAsync(string dagId, string runId, JsonObject? conf, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var run = await airflow.TriggerAsync(dagId, runId, conf, ct).ConfigureAwait(false);
        var deadline = clock.Elapsed + options.RunTimeout;
        while (!run.IsTerminal)
        {
            if (clock.Elapsed > deadline)
            {
                return null;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
            run = await airflow.GetRunAsync(dagId, runId, ct).ConfigureAwait(false);
        }
        VerifierTelemetry.RunLatency.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("state", run.State));
        return (run, clock.Elapsed);
    }
}
