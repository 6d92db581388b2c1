using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary><c>api</c>: the api-server answers <c>GET /api/v2/version</c> (check <c>api-reachable</c>); the report records Airflow's version.</summary>
public sealed class ApiReachableStep(AirflowClient airflow, LikelyCause causes) : IVerificationStep
{
    private const string Expected = "GET /api/v2/version answers";

    /// <inheritdoc />
    public string Name => "api";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        try
        {
            var version = await airflow.GetVersionAsync(ct).ConfigureAwait(false);
            run.Report.AirflowVersion = version.Version;
            return run.Report.Add(new Check("api-reachable", true, Expected, $"Airflow {version.Version} at {airflow.BaseAddress}"));
        }
        catch (Exception exception) when (exception is HttpRequestException or AirflowApiException or TaskCanceledException)
        {
            return run.Report.Add(new Check("api-reachable", false, Expected, exception.Message, causes.ApiUnreachable));
        }
    }
}
