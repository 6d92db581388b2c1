using System.Text.Json;
using System.Text.Json.Serialization;

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
        yield return Passed
            ? $"VERIFIED: {DagId} run {RunId} succeeded on a Celery worker through {Broker} ({TriggerToTerminalSeconds:0.00} s from trigger to success)."
            : $"NOT VERIFIED: {Checks.Count(c => !c.Passed)} check(s) failed.";
    }

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
    }, Json);
}
