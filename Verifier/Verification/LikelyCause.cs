using AirflowAspire.Verifier.Broker;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Names the likely cause of a failed run from the evidence the Verifier can read: the error Celery
/// stored for the worker's task, and the task log. The patterns are the texts Airflow's own
/// components produce for the misconfigurations users hit most (see the README's troubleshooting).
/// </summary>
public static class LikelyCause
{
    /// <summary>
    /// The cause of an error answer of Airflow's REST API, from its status: what the Verifier can tell from the outside,
    /// and where to look next.
    /// </summary>
    public static string ForApiError(Airflow.AirflowApiException error) => (int)error.Status switch
    {
        401 => "the token was refused: missing or expired",
        403 => "the token was refused: its signature ([api_auth] jwt_secret differs between the api-server that issued it "
            + "and the one that checked it), or the user's role may not do this (Verifier:Username must be an admin)",
        404 => $"Airflow does not know {error.Operation.Split(' ').Last()}",
        502 or 503 or 504 => $"the api-server, or a proxy in front of it, is unavailable ({(int)error.Status}) for {error.Operation}: "
            + "see the airflow-api resource's state and log",
        >= 500 => $"the api-server failed while answering {error.Operation} ({(int)error.Status}): its traceback is in the airflow-api resource's log",
        _ => $"Airflow refused {error.Operation}: {error.Detail}",
    };

    /// <summary>The cause of a failed run, or null when the evidence names none.</summary>
    public static string? ForFailedRun(IEnumerable<CeleryResult> celeryFailures, IReadOnlyList<string> taskLog)
    {
        foreach (var failure in celeryFailures)
        {
            var error = failure.Error ?? "";
            if (error.Contains("Signature verification failed", StringComparison.OrdinalIgnoreCase))
            {
                return "the Task Execution API rejected the task's token (\"Signature verification failed\"): the scheduler signs task tokens "
                    + "and the api-server checks them with [api_auth] jwt_secret, which differs between them. Set AIRFLOW__API_AUTH__JWT_SECRET "
                    + $"to one value for every process (the AppHost's airflow-jwt-secret parameter does). Celery's error: {error}";
            }
            if (error.Contains("Signature has expired", StringComparison.OrdinalIgnoreCase))
            {
                return "the task's token expired before the worker ran it (the task waited in the queue longer than the token lives): "
                    + $"fixed in Airflow by apache/airflow#60108, upgrade; meanwhile keep enough workers up. Celery's error: {error}";
            }
            if (error.Contains("ConnectError", StringComparison.Ordinal) || error.Contains("Connection refused", StringComparison.OrdinalIgnoreCase)
                || error.Contains("All connection attempts failed", StringComparison.OrdinalIgnoreCase))
            {
                return "the worker could not reach the Task Execution API: set [core] execution_api_server_url "
                    + "(AIRFLOW__CORE__EXECUTION_API_SERVER_URL) on every worker to the api-server's URL + /execution/ "
                    + $"(unset, Airflow uses http://localhost:8080/execution/). Celery's error: {error}";
            }
            return $"the Celery task failed on the worker: {error}";
        }
        return taskLog.Count > 0
            ? $"the task failed; the end of its log: {string.Join(" | ", taskLog.TakeLast(5))}"
            : null;
    }
}
