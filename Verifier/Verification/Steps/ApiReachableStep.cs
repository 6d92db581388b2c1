using System.Diagnostics;
using System.Net;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>api</c>: the api-server answers <c>GET /api/v2/version</c> (check <c>api-reachable</c>); the report records Airflow's version.
/// The AppHost starts the Verifier once the migration is done, beside the api-server: a refused connection or a server
/// error is tried again until <see cref="VerifierOptions.HealthTimeout"/>; an answer that is not one (a 4xx) fails at once.
/// </summary>
public sealed class ApiReachableStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    private const string Expected = "GET /api/v2/version answers";

    /// <inheritdoc />
    public string Name => "api";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var version = await airflow.GetVersionAsync(ct).ConfigureAwait(false);
                run.Report.AirflowVersion = version.Version;
                return run.Report.Add(new Check("api-reachable", true, Expected, $"Airflow {version.Version} at {airflow.BaseAddress}"));
            }
            catch (Exception exception) when (exception is HttpRequestException or AirflowApiException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                var starting = exception is not AirflowApiException { Status: < HttpStatusCode.InternalServerError };
                if (!starting || clock.Elapsed > options.HealthTimeout)
                {
                    var seen = starting ? $"{exception.Message} for {options.HealthTimeout.TotalSeconds:0} s" : exception.Message;
                    return run.Report.Add(new Check("api-reachable", false, Expected, seen, causes.ApiUnreachable));
                }
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }
}
