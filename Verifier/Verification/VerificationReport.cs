using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace AirflowAspire.Verifier.Verification;

/// <summary>One check: what was expected, what was seen, and when it failed, the likely cause.</summary>
public sealed record Check(string Name, bool Passed, string Expected, string Seen, string? Cause = null);

/// <summary>The outcome of a verification: every check, the run it triggered, and how long each part took.</summary>
public sealed class VerificationReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The checks, in the order they ran.</summary>
    public List<Check> Checks { get; } = [];

    /// <summary>Airflow's version, as its API reports it.</summary>
    public string? AirflowVersion { get; set; }

    /// <summary>What the broker is (e.g. <c>Dragonfly df-v1.40.1</c>).</summary>
    public string? Broker { get; set; }

    /// <summary>The DAG run.</summary>
    public string? DagId { get; set; }

    /// <summary>The run id the Verifier chose.</summary>
    public string? RunId { get; set; }

    /// <summary>Seconds from the trigger to the Verifier seeing the run's terminal state.</summary>
    public double? TriggerToTerminalSeconds { get; set; }

    /// <summary>Airflow's own duration of the run, from its <c>start_date</c> to its <c>end_date</c>.</summary>
    public double? RunDurationSeconds { get; set; }

    /// <summary>Seconds each step took.</summary>
    public Dictionary<string, double> StepSeconds { get; } = [];

    /// <summary>The user's chosen DAGs (<see cref="VerifierOptions.Dags"/>), a section each; empty when none were chosen.</summary>
    public List<DagReport> Dags { get; } = [];

    /// <summary>What the dag-processor made of the DAGs folder, read after the runs; null when it was not read.</summary>
    public ParseReport? Parse { get; set; }

    /// <summary>True when every check passed (and there was at least one).</summary>
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);

    /// <summary>Adds a check and returns whether it passed; a cause is kept only for a failure.</summary>
    public bool Add(Check check)
    {
        Checks.Add(check.Passed ? check with { Cause = null } : check);
        return check.Passed;
    }

    /// <summary>The report for people: one line per check, and the cause under each failure.</summary>
    public IEnumerable<string> Lines()
    {
        foreach (var check in Checks)
        {
            yield return $"{(check.Passed ? "PASS" : "FAIL")} {check.Name}: expected {check.Expected}; saw {check.Seen}";
            if (check.Cause is not null)
            {
                yield return $"     likely cause: {check.Cause}";
            }
        }
        foreach (var dag in Dags)
        {
            var run = dag.RunId is null ? "not run" : $"run {dag.RunId} {dag.State ?? "in no state"}"
                + (dag.TriggerToTerminalSeconds is { } seconds ? $" in {seconds:0.00} s" : "");
            var tasks = dag.Tasks.Count == 0 ? "" : $"; tasks: {string.Join(", ", dag.Tasks.Select(t => $"{t.TaskId} {t.State ?? "no state"}"))}";
            yield return $"{(dag.Passed ? "PASSED" : "FAILED")} DAG {dag.DagId} ({dag.ChosenBy}): {run}{tasks}";
            foreach (var failed in dag.FailedTasks)
            {
                yield return $"     task {failed.TaskId}{(failed.MapIndex >= 0 ? $"[{failed.MapIndex}]" : "")} {failed.State}: {failed.Cause}";
                foreach (var line in failed.LogTail)
                {
                    yield return $"       | {line}";
                }
            }
        }
        if (Parse is { } parse)
        {
            yield return $"PARSED {parse.DagCount} DAG(s), {parse.ImportErrors.Count} import error(s)";
            foreach (var error in parse.ImportErrors)
            {
                yield return $"{ImportErrorPrefix} {error.Filename}{(error.Line is { } line ? $":{line}" : "")}: {error.Error}";
            }
        }
        var failedDags = Dags.Where(d => !d.Passed).Select(d => d.DagId).ToList();
        var dags = Dags.Count == 0 ? "" : failedDags.Count == 0
            ? $" Chosen DAGs: {Dags.Count} passed ({string.Join(", ", Dags.Select(d => d.DagId))})."
            : $" Chosen DAGs failed: {string.Join(", ", failedDags)} ({Dags.Count - failedDags.Count} of {Dags.Count} passed).";
        var parsed = Parse is null ? "" : $" {Parse.DagCount} DAG(s) parsed, {Parse.ImportErrors.Count} import error(s)"
            + (Parse.ImportErrors.Count == 0 ? "." : $" ({string.Join(", ", Parse.ImportErrors.Select(e => e.Filename))}).");
        yield return Passed
            ? $"VERIFIED: {DagId} run {RunId} succeeded on a Celery worker through {Broker} ({TriggerToTerminalSeconds:0.00} s from trigger to success).{dags}{parsed}"
            : $"NOT VERIFIED: {Checks.Count(c => !c.Passed)} check(s) failed.{dags}{parsed}";
    }

    private const string ImportErrorPrefix = "IMPORT ERROR";

    /// <summary>
    /// The level a line of <see cref="Lines"/> is logged at: a failure, its cause and a failed DAG's lines are errors; an
    /// import error that does not fail the verdict is a warning; the rest is information.
    /// </summary>
    public static LogLevel LevelOf(string line)
        => line.StartsWith("FAIL", StringComparison.Ordinal) || line.StartsWith("NOT", StringComparison.Ordinal) || line.StartsWith("     ", StringComparison.Ordinal)
            ? LogLevel.Error
            : line.StartsWith(ImportErrorPrefix, StringComparison.Ordinal) ? LogLevel.Warning : LogLevel.Information;

    /// <summary>The report as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        Verdict = Passed ? "passed" : "failed",
        AirflowVersion,
        Broker,
        DagId,
        RunId,
        TriggerToTerminalSeconds,
        RunDurationSeconds,
        StepSeconds,
        Checks,
        Dags,
        Parse,
    }, Json);
}
