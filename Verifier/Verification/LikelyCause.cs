using AirflowAspire.Contracts;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Every likely cause the Verifier names under a failed check, in one place: what the failure usually means and where
/// to look next. The evidence-based ones read the error Celery stored for the worker's task, the task log, or
/// Airflow's error answer; their patterns are the texts Airflow's own components produce for the misconfigurations
/// users hit most (see the README's troubleshooting).
/// </summary>
/// <remarks>The resources and parameters a cause points at are named as the AppHost named them (<see cref="VerifierResources"/>).</remarks>
/// <param name="options">The user the Verifier logs in as, and the names of the deployment's resources.</param>
public sealed class LikelyCause(VerifierOptions options)
{
    /// <summary>A fault of the Verifier itself: nothing of Airflow or the broker explains it.</summary>
    public const string VerifierFault = "a fault of the Verifier itself: please report it with this line and the Verifier's log";

    private VerifierResources Resources => options.Resources;

    /// <summary><c>api-reachable</c>: nothing answers at the api-server's address.</summary>
    public string ApiUnreachable => $"the api-server is not running or not at this address: see the {Resources.ApiServer} resource's log";

    /// <summary><c>components-healthy</c>: the api-server stopped answering while the Verifier waited for the components.</summary>
    public string ApiStoppedAnswering => $"the api-server stopped answering: see the {Resources.ApiServer} resource's log";

    /// <summary><c>components-healthy</c>: the components Airflow does not report healthy, the first one explained.</summary>
    public string ComponentsUnhealthy(IReadOnlyList<string> components)
        => $"{string.Join(" and ", components)} not healthy: " + (components[0] == AirflowHealth.Metadatabase
            ? $"the api-server cannot use the metadata database ([database] sql_alchemy_conn): see {Resources.Migration} and {Resources.ApiServer}"
            : $"not heartbeating, see {ResourceOf(components[0])}'s log");

    /// <summary><c>token</c>: the simple auth manager refused the Verifier's user.</summary>
    public string TokenRefused(AirflowApiException error)
        => error.Status == System.Net.HttpStatusCode.Unauthorized
            ? $"the api-server does not accept {options.Username}'s password: it reads it from [core] simple_auth_manager_passwords_file "
              + $"when it starts, which the AppHost writes from the {Resources.AdminPasswordParameter} parameter; restart {Resources.ApiServer} after changing it"
            : "the simple auth manager refused the request";

    /// <summary><c>dag-parsed</c>: the DAG's own file has an import error.</summary>
    public string DagDoesNotImport(ImportError error) => $"the DAG file does not import; Airflow's error: {error.StackTrace?.Trim()}";

    /// <summary><c>dag-parsed</c>: the DAG never appeared; the import errors of other files may say why.</summary>
    public string DagNeverParsed(IReadOnlyList<ImportError> importErrors)
    {
        var others = importErrors.Count == 0 ? "" : $" Import errors in other files: {string.Join("; ", importErrors.Select(e => $"{e.Filename}: {LastLine(e.StackTrace)}"))}";
        return $"no file in the DAGs folder ([core] dags_folder) defines it, or the dag-processor is not parsing (see {ResourceOf(AirflowHealth.DagProcessor)}'s log).{others}";
    }

    /// <summary><c>dag-unpaused</c>: Airflow answered the unpause with the DAG still paused.</summary>
    public string DagKeptPaused => "Airflow kept the DAG paused: runs of a paused DAG stay queued forever";

    /// <summary><c>run-finished</c>: what a run that did not end in time was stuck on.</summary>
    public string RunNotFinished(DagRun run, IReadOnlyList<TaskInstance> tasks)
        => run.State == "queued"
            ? $"the run was never started: the DAG is paused, or the scheduler is not running (see {ResourceOf(AirflowHealth.Scheduler)}'s log)"
            : tasks.Where(t => t.State == "queued").Select(t => $"'{t.Queue}'").Distinct().ToList() is { Count: > 0 } queues
                ? $"a task stayed queued on {string.Join(", ", queues)}: no Celery worker picked it up (workers {Workers} down or unreachable, "
                    + "on other queues, or on another broker)"
                : $"the run did not finish in time: see the task log and the logs of {Workers}";

    /// <summary>
    /// <c>dag-parsed:{dag_id}</c>: a DAG named in <c>Verifier:Dags</c> that Airflow does not know: the fix, the DAG ids it
    /// knows, the one nearest to it, and the files that did not import (the DAG may be in one of them).
    /// </summary>
    public string ChosenDagUnknown(string dagId, IReadOnlyList<string> knownDagIds, IReadOnlyList<ImportError> importErrors)
    {
        var near = ClosestMatch(dagId, knownDagIds);
        var known = knownDagIds.Count == 0 ? "Airflow knows no DAG yet"
            : $"Airflow knows {knownDagIds.Count} DAG(s): {string.Join(", ", knownDagIds.Take(30))}{(knownDagIds.Count > 30 ? ", ..." : "")}";
        var broken = importErrors.Count == 0 ? "" : $". Files that did not import (the DAG may be in one): {string.Join("; ", importErrors.Select(e => $"{e.Filename}: {LastLine(e.StackTrace)}"))}";
        return (near is null ? "" : $"did you mean '{near}'? ")
            + $"fix the DAG id in Verifier:Dags, or put the file that defines it in the DAGs folder ([core] dags_folder). {known}{broken}";
    }

    /// <summary><c>dag-tag:{name}</c>: a <c>tag:NAME</c> of <c>Verifier:Dags</c> that selects no DAG: the fix, and the tags the DAGs have.</summary>
    public string TagSelectsNoDag(string tag, IReadOnlyList<string> knownTags)
    {
        var near = ClosestMatch(tag, knownTags);
        return (near is null ? "" : $"did you mean tag:{near}? ")
            + $"fix the tag in Verifier:Dags, or give the DAGs it should select tags=[\"{tag}\"]. "
            + (knownTags.Count == 0 ? "No DAG Airflow knows has a tag." : $"The DAGs' tags: {string.Join(", ", knownTags)}.");
    }

    /// <summary><c>dag-conf:{dag_id}</c>: a <c>Verifier:Conf:{dag_id}</c> for a DAG that is not among the chosen ones.</summary>
    public static string ConfForUnchosenDag(string dagId)
        => $"Verifier:Conf:{dagId} is set but {dagId} is not among the DAGs Verifier:Dags chooses: add {dagId} to Verifier:Dags, "
            + "or fix the DAG id in the setting's name";

    /// <summary><c>dag-triggered:{dag_id}</c>: Airflow refused the trigger (a conf its params reject answers 400).</summary>
    public string TriggerRefused(AirflowApiException error, string dagId, bool hasConf)
        => ForApiError(error) + (hasConf && (int)error.Status is 400 or 422 ? $"; check Verifier:Conf:{dagId} against the DAG's params" : "");

    /// <summary>
    /// <c>dag-run-finished:{dag_id}</c>: what a chosen DAG's run that did not end within <see cref="VerifierOptions.RunTimeout"/>
    /// was stuck on, task by task, and the setting to raise when the DAG is slow by design.
    /// </summary>
    public string ChosenRunNotFinished(DagRun run, IReadOnlyList<TaskInstance> tasks)
    {
        var scheduled = tasks.Where(t => t.State == "scheduled").ToList();
        var deferred = tasks.Where(t => t.State == "deferred").ToList();
        var why = run.State == "queued" || tasks.Any(t => t.State == "queued") ? RunNotFinished(run, tasks)
            // A task whose pool is full or missing stays scheduled: the scheduler logs "Tasks using non-existent pool '%s'
            // will not be scheduled" (airflow-core/src/airflow/jobs/scheduler_job_runner.py, _executable_task_instances_to_queued).
            : scheduled.Count > 0 ? $"{string.Join(", ", scheduled.Select(t => t.TaskId))} stayed scheduled: the scheduler did not queue them, as when their pool "
                + $"({string.Join(", ", scheduled.Select(t => t.Pool ?? "default_pool").Distinct())}) has no free slot or does not exist (the project's pools.json), "
                + "or the DAG's max_active_tasks is reached; see " + ResourceOf(AirflowHealth.Scheduler) + "'s log"
            : deferred.Count > 0 ? $"{string.Join(", ", deferred.Select(t => t.TaskId))} stayed deferred: no triggerer resumed them (see {ResourceOf(AirflowHealth.Triggerer)}'s log)"
            : tasks.Any(t => t.State is "running" or "up_for_retry" or "up_for_reschedule")
                ? $"tasks still running or retrying at the bound: see their logs and the logs of {Workers}"
                : $"the run did not finish in time: see {ResourceOf(AirflowHealth.Scheduler)}'s log";
        return $"{why}. If the DAG is slow by design, raise Verifier:RunTimeout (now {options.RunTimeout.TotalSeconds:0} s)";
    }

    /// <summary>
    /// <c>import-error:{filename}</c>: a file that did not import, with <see cref="VerifierOptions.FailOnImportErrors"/> set.
    /// </summary>
    public static string ImportErrorFails(ImportErrorReport error)
        => $"the dag-processor could not import {error.Filename}{(error.Line is { } line ? $" (line {line})" : "")}: {error.Error}. Fix the file, "
            + "or set Verifier:FailOnImportErrors=false to report import errors without failing the verdict";

    /// <summary>The candidate nearest to <paramref name="value"/> (same letters but case, or a few edits away); null when none is near.</summary>
    public static string? ClosestMatch(string value, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Candidate: c, Distance: EditDistance(value.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(c => c.Distance).FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, value.Length / 4) && best.Distance < value.Length ? best.Candidate : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }

    /// <summary><c>run-succeeded</c>: the cause of a failed run, from Celery's error and the task log; null when the evidence names none.</summary>
    public string? ForFailedRun(IEnumerable<CeleryResult> celeryFailures, IReadOnlyList<string> taskLog)
    {
        foreach (var failure in celeryFailures)
        {
            var error = failure.Error ?? "";
            if (error.Contains("Signature verification failed", StringComparison.OrdinalIgnoreCase))
            {
                return "the Task Execution API rejected the task's token (\"Signature verification failed\"): the scheduler signs task tokens "
                    + "and the api-server checks them with [api_auth] jwt_secret, which differs between them. Set AIRFLOW__API_AUTH__JWT_SECRET "
                    + $"to one value for every process (the AppHost's {Resources.JwtSecretParameter} parameter does). Celery's error: {error}";
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
        // Airflow's task runner (task_runner.py, parse) when the worker's DAGs folder lacks the file the DAG was parsed from.
        if (taskLog.Any(line => line.Contains("DAG not found during start up", StringComparison.Ordinal)))
        {
            return "the worker that ran the task has no such DAG file (\"DAG not found during start up\"): every worker parses the DAG file "
                + "itself, from its own DAGs folder; copy the DAG files to each worker's host (Airflow:DagsFolder there). "
                + $"The task log: {string.Join(" | ", taskLog.TakeLast(3))}";
        }
        return taskLog.Count > 0
            ? $"the task failed; the end of its log: {string.Join(" | ", taskLog.TakeLast(5))}"
            : null;
    }

    /// <summary><c>tasks-on-worker-queues</c>: a task went to a queue no worker consumes.</summary>
    public string TaskOnAQueueNoWorkerConsumes => "a task's queue no worker consumes stays queued: add the queue to Airflow:Queues";

    /// <summary><c>tasks-ran-on-a-host</c>: a task instance records no host.</summary>
    public string TaskNeverStarted => $"no worker started the task: it never reached the Task Execution API (see the logs of {Workers})";

    /// <summary><c>task-log-has-output</c>: the expected line is not in the task log.</summary>
    public string OutputMissing => "the task did not print it, or the log is unreadable (a worker's log server unreachable: [logging] worker_log_server_port)";

    /// <summary><c>celery-result-in-backend</c>: the broker stopped answering while the results were read.</summary>
    public string BrokerStoppedAnswering => $"the broker stopped answering: see the {Resources.Broker} resource";

    /// <summary><c>celery-result-in-backend</c>: fewer successful results than tasks.</summary>
    public string CeleryResultsMissing => "the tasks did not go through Celery with this result backend ([celery] result_backend)";

    /// <summary><c>broker-queue-drained:{queue}</c>: messages wait in a queue the tasks went to.</summary>
    public string QueueNotDrained => "messages nobody consumes: no worker on this queue, or workers on another broker";

    /// <summary><c>broker-is-{expected}</c>: the broker answers, but is another server than the AppHost chose.</summary>
    public string NotTheChosenBroker => options.ExpectedBroker.Equals("redis", StringComparison.OrdinalIgnoreCase)
        ? "the broker is not Redis: Redis:Executable or the connection string points at another server"
        : "the broker is not Dragonfly: Dragonfly:Executable or the connection string points at another server";

    /// <summary><c>broker-is-{expected}</c>: the broker does not answer.</summary>
    public string BrokerDoesNotAnswer => $"the broker does not answer: see the {Resources.Broker} resource";

    /// <summary>
    /// The cause of an error answer of Airflow's REST API, from its status: what the Verifier can tell from the outside,
    /// and where to look next.
    /// </summary>
    public string ForApiError(AirflowApiException error) => (int)error.Status switch
    {
        401 => "the token was refused: missing or expired",
        403 => "the token was refused: its signature ([api_auth] jwt_secret differs between the api-server that issued it "
            + "and the one that checked it), or the user's role may not do this (Verifier:Username must be an admin)",
        404 => $"Airflow does not know {error.Operation.Split(' ').Last()}",
        502 or 503 or 504 => $"the api-server, or a proxy in front of it, is unavailable ({(int)error.Status}) for {error.Operation}: "
            + $"see the {Resources.ApiServer} resource's state and log",
        >= 500 => $"the api-server failed while answering {error.Operation} ({(int)error.Status}): its traceback is in the {Resources.ApiServer} resource's log",
        _ => $"Airflow refused {error.Operation}: {error.Detail}",
    };

    /// <summary><c>{step}-step</c>: the cause of an exception a step did not turn into a check itself.</summary>
    public string ForStepFailure(Exception exception) => exception switch
    {
        AirflowApiException api => ForApiError(api),
        TimeoutException or RedisException => $"the broker refused or stopped answering: see the {Resources.Broker} resource",
        System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException
            => "the api-server answered with a body Airflow does not send: is Verifier:AirflowUrl an Airflow 3 api-server?",
        _ => $"the api-server stopped answering or timed out: see the {Resources.ApiServer} resource's log",
    };

    /// <summary>The workers, as a list for a sentence.</summary>
    private string Workers => Resources.WorkerList is { Count: > 0 } workers ? string.Join(", ", workers) : "the Celery workers";

    /// <summary>The resource that runs a component of Airflow's health body; its kind of process when the AppHost named none.</summary>
    private string ResourceOf(string component) => component switch
    {
        AirflowHealth.Scheduler => Resources.Scheduler,
        AirflowHealth.DagProcessor => Resources.DagProcessor,
        AirflowHealth.Triggerer => Resources.Triggerer,
        _ => "",
    } is { Length: > 0 } name ? $"the {name} resource" : $"the {component.Replace('_', '-')} process";

    private static string LastLine(string? text) => text?.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
}
