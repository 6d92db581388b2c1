using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// One named step of a verification. It adds its checks to the run's report and says whether the steps after it may
/// run; <see cref="VerificationPipeline"/> times it, traces it and turns whatever it throws into a failed check.
/// </summary>
public interface IVerificationStep
{
    /// <summary>
    /// The step's name: its span (<c>verify {name}</c>), its key in the report's <c>step_seconds</c>, and the check
    /// <c>{name}-step</c> when it throws.
    /// </summary>
    string Name { get; }

    /// <summary>Runs the step's checks; true when the next step may run.</summary>
    Task<bool> RunAsync(VerificationRun run, CancellationToken ct);
}

/// <summary>What the steps of one verification share: the report they fill, and the run the later steps check.</summary>
/// <param name="report">The report the checks go into.</param>
public sealed class VerificationRun(VerificationReport report)
{
    /// <summary>The report the checks go into.</summary>
    public VerificationReport Report { get; } = report;

    /// <summary>The run the Verifier triggered; null before the run step.</summary>
    public string? RunId { get; set; }

    /// <summary>When it was triggered: Celery's results of this run are the ones written after it.</summary>
    public DateTimeOffset TriggeredAt { get; set; }

    /// <summary>The run in its terminal state and how long it took to get there; null when it did not end in time.</summary>
    public (DagRun Run, TimeSpan Latency)? Finished { get; set; }
}
