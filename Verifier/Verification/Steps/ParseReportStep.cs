using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>parse</c>: what the dag-processor made of the DAGs folder, read after the runs so that it has been through every
/// file: how many active DAGs Airflow knows (<c>GET /api/v2/dags</c>'s <c>total_entries</c>) and each file that did not
/// import, with its line and Airflow's error (the report's <c>parse</c>). Import errors do not fail the verdict unless
/// <see cref="VerifierOptions.FailOnImportErrors"/> is set: then each is a failed check <c>import-error:{filename}</c>.
/// </summary>
public sealed class ParseReportStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    /// <inheritdoc />
    public string Name => "parse";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var report = run.Report;
        var count = await AirflowCall.CheckedAsync(report, causes, "parse-report", "GET /api/v2/dags answers", () => airflow.CountDagsAsync(ct)).ConfigureAwait(false);
        if (count.Failed)
        {
            return false;
        }
        var listed = await AirflowCall.CheckedAsync(report, causes, "parse-report", "GET /api/v2/importErrors answers", () => airflow.GetImportErrorsAsync(ct)).ConfigureAwait(false);
        if (listed.Failed)
        {
            return false;
        }
        var errors = (listed.Value ?? []).Select(TaskLogReading.ImportError).ToList();
        report.Parse = new ParseReport(count.Value, errors);
        if (!options.FailOnImportErrors)
        {
            return true;
        }
        if (errors.Count == 0)
        {
            return report.Add(new Check("import-errors", true, "no import errors (Verifier:FailOnImportErrors)", $"none in {count.Value} DAG(s)"));
        }
        foreach (var error in errors)
        {
            report.Add(new Check($"import-error:{error.Filename}", false, "the file imports (Verifier:FailOnImportErrors)",
                $"{error.Filename}{(error.Line is { } line ? $":{line}" : "")}: {error.Error}", LikelyCause.ImportErrorFails(error)));
        }
        return false;
    }
}
