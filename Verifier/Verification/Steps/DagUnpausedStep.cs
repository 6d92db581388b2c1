using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary><c>unpause</c>: the DAG is unpaused before the trigger (check <c>dag-unpaused</c>): a paused DAG's runs stay queued forever.</summary>
public sealed class DagUnpausedStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    private const string Expected = "is_paused false";

    /// <inheritdoc />
    public string Name => "unpause";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var dag = await AirflowCall.CheckedAsync(run.Report, causes, "dag-unpaused", Expected, () => airflow.SetPausedAsync(options.DagId, false, ct)).ConfigureAwait(false);
        return !dag.Failed && run.Report.Add(new Check("dag-unpaused", dag.Value is { IsPaused: false }, Expected, $"is_paused {dag.Value?.IsPaused}",
            dag.Value is { IsPaused: false } ? null : causes.DagKeptPaused));
    }
}
