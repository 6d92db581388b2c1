namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>run</c>: triggers a run with an id of the Verifier's own and polls it to a terminal state. A run that does not end
/// in time passes this step; the outcome step fails <c>run-finished</c> with what the run was stuck on.
/// </summary>
public sealed class RunStep(RunTrigger trigger, LikelyCause causes) : IVerificationStep
{
    /// <inheritdoc />
    public string Name => "run";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var runId = RunTrigger.NewRunId();
        run.RunId = run.Report.RunId = runId;
        run.TriggeredAt = DateTimeOffset.UtcNow;
        var result = await AirflowCall.CheckedAsync(run.Report, causes, "run-finished", "a terminal state", () => trigger.TriggerAndWaitAsync(runId, ct)).ConfigureAwait(false);
        run.Finished = result.Value;
        return !result.Failed;
    }
}
