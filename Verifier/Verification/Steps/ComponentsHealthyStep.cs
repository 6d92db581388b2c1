using System.Diagnostics;
using AirflowAspire.Contracts;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>health</c>: <c>/api/v2/monitor/health</c> reports the metadata database, the scheduler and the dag-processor
/// healthy within <see cref="VerifierOptions.HealthTimeout"/> (check <c>components-healthy</c>).
/// </summary>
public sealed class ComponentsHealthyStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    // The triggerer is optional (Airflow:Triggerer); the dag-processor's absence is caught by the DAG step.
    private static readonly string[] Required = [AirflowHealth.Metadatabase, AirflowHealth.Scheduler, AirflowHealth.DagProcessor];
    private const string Expected = "metadatabase, scheduler and dag_processor healthy";

    /// <inheritdoc />
    public string Name => "health";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            // An error answer may pass (the api-server restarting); it fails the check only if it lasts to the deadline.
            string seen, cause;
            try
            {
                var health = await airflow.GetHealthAsync(ct).ConfigureAwait(false);
                var sick = health.Where(c => Required.Contains(c.Name) && !c.IsHealthy).Select(c => c.Name).ToList();
                seen = string.Join(", ", health.Select(c => $"{c.Name} {c.Status ?? "never ran"}"));
                if (sick.Count == 0)
                {
                    return run.Report.Add(new Check("components-healthy", true, Expected, seen));
                }
                cause = causes.ComponentsUnhealthy(sick);
            }
            catch (AirflowApiException error)
            {
                (seen, cause) = (error.Message, causes.ForApiError(error));
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                (seen, cause) = (error.Message, causes.ApiStoppedAnswering);
            }
            if (deadline.Elapsed > options.HealthTimeout)
            {
                return run.Report.Add(new Check("components-healthy", false, Expected, $"{seen} after {options.HealthTimeout.TotalSeconds:0} s", cause));
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }
}
