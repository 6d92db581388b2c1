using System.Diagnostics;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>dag</c>: Airflow knows the DAG, without import errors, within <see cref="VerifierOptions.DagTimeout"/>
/// (check <c>dag-parsed</c>); an import error of the DAG's own file fails it at once.
/// </summary>
public sealed class DagParsedStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    /// <inheritdoc />
    public string Name => "dag";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var report = run.Report;
        var expected = $"DAG {options.DagId} parsed, without import errors";
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var dag = await AirflowCall.CheckedAsync(report, causes, "dag-parsed", expected, () => airflow.GetDagAsync(options.DagId, ct)).ConfigureAwait(false);
            if (dag.Failed)
            {
                return false;
            }
            if (dag.Value is { HasImportErrors: false } parsed)
            {
                return report.Add(new Check("dag-parsed", true, expected, $"{parsed.DagId} from {parsed.Fileloc}"));
            }
            var listed = await AirflowCall.CheckedAsync(report, causes, "dag-parsed", expected, () => airflow.GetImportErrorsAsync(ct)).ConfigureAwait(false);
            if (listed.Failed)
            {
                return false;
            }
            var importErrors = listed.Value ?? [];
            // Fail at once on the DAG's own file; other files' errors only explain a DAG that never comes.
            // Airflow records import errors by the file's absolute path on 3.0 (seen on real 3.0.3), by its path in the bundle later.
            var own = importErrors.FirstOrDefault(e => dag.Value is { } known
                ? e.Filename == known.RelativeFileloc || e.Filename == known.Fileloc
                : Path.GetFileNameWithoutExtension(e.Filename) == options.DagId);
            if (own is not null)
            {
                return report.Add(new Check("dag-parsed", false, expected, $"an import error in {own.Filename}", causes.DagDoesNotImport(own)));
            }
            if (clock.Elapsed > options.DagTimeout)
            {
                return report.Add(new Check("dag-parsed", false, expected, $"no DAG {options.DagId} after {options.DagTimeout.TotalSeconds:0} s",
                    causes.DagNeverParsed(importErrors)));
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }
}
