using System.Diagnostics;
using AirflowAspire.Contracts;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Proves a DAG run end to end: Airflow healthy, logged in, the DAG parsed and unpaused, a run
/// triggered and polled to its end; then the run, its task instances, the task log, and Celery's
/// traces in the broker. Every step is a span and a duration; every check lands in the report.
/// </summary>
public sealed class AirflowVerification(AirflowClient airflow, CeleryBrokerInspector broker, VerifierOptions options, ILogger logger)
{
    // Clocks of the Verifier and the worker are one machine's, but Celery rounds nothing: a little slack.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    // How long Celery's result may trail the run's end.
    private static readonly TimeSpan CeleryResultGrace = TimeSpan.FromSeconds(5);

    /// <summary>Runs every step and check; the report says what held.</summary>
    public async Task<VerificationReport> RunAsync(CancellationToken ct)
    {
        var report = new VerificationReport { DagId = options.DagId };
        try
        {
            if (await PrepareAsync(report, ct).ConfigureAwait(false))
            {
                await VerifyRunAsync(report, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            // Whatever happened before, say what the broker is: "not Dragonfly" explains a lot.
            await StepAsync(report, "broker", () => CheckBrokerIdentityAsync(report), ct).ConfigureAwait(false);
        }
        return report;
    }

    /// <summary>The steps before a run: reachable, healthy, logged in, the DAG parsed and unpaused.</summary>
    public async Task<bool> PrepareAsync(VerificationReport report, CancellationToken ct)
        => await StepAsync(report, "api", () => CheckApiAsync(report, ct), ct).ConfigureAwait(false)
            && await StepAsync(report, "health", () => WaitHealthyAsync(report, ct), ct).ConfigureAwait(false)
            && await StepAsync(report, "login", () => LogInAsync(report, ct), ct).ConfigureAwait(false)
            && await StepAsync(report, "dag", () => WaitForDagAsync(report, ct), ct).ConfigureAwait(false)
            && await StepAsync(report, "unpause", () => UnpauseAsync(report, ct), ct).ConfigureAwait(false);

    /// <summary>Triggers one run and polls it to a terminal state; null when it did not end in time.</summary>
    public async Task<(DagRun Run, TimeSpan Latency)?> TriggerAndWaitAsync(string runId, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var run = await airflow.TriggerAsync(options.DagId, runId, ct).ConfigureAwait(false);
        var deadline = clock.Elapsed + options.RunTimeout;
        while (!run.IsTerminal)
        {
            if (clock.Elapsed > deadline)
            {
                return null;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
            run = await airflow.GetRunAsync(options.DagId, runId, ct).ConfigureAwait(false);
        }
        VerifierTelemetry.RunLatency.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("state", run.State));
        return (run, clock.Elapsed);
    }

    /// <summary>A run id of the Verifier's own: sortable, unique, and safe in a URL path.</summary>
    public static string NewRunId() => $"verifier__{DateTime.UtcNow:yyyyMMddTHHmmssfff}_{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<bool> CheckApiAsync(VerificationReport report, CancellationToken ct)
    {
        try
        {
            var version = await airflow.GetVersionAsync(ct).ConfigureAwait(false);
            report.AirflowVersion = version.Version;
            return report.Add(new Check("api-reachable", true, "GET /api/v2/version answers", $"Airflow {version.Version} at {airflow.BaseAddress}"));
        }
        catch (Exception exception) when (exception is HttpRequestException or AirflowApiException or TaskCanceledException)
        {
            return report.Add(new Check("api-reachable", false, "GET /api/v2/version answers", exception.Message,
                "the api-server is not running or not at this address: see the airflow-api resource's log"));
        }
    }

    private async Task<bool> WaitHealthyAsync(VerificationReport report, CancellationToken ct)
    {
        // The triggerer is optional (Airflow:Triggerer); the dag-processor's absence is caught by the DAG step.
        string[] required = [AirflowHealth.Metadatabase, AirflowHealth.Scheduler, AirflowHealth.DagProcessor];
        const string expected = "metadatabase, scheduler and dag_processor healthy";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            // An error answer may pass (the api-server restarting); it fails the check only if it lasts to the deadline.
            string seen, cause;
            try
            {
                var health = await airflow.GetHealthAsync(ct).ConfigureAwait(false);
                var sick = health.Where(c => required.Contains(c.Name) && !c.IsHealthy).ToList();
                seen = string.Join(", ", health.Select(c => $"{c.Name} {c.Status ?? "never ran"}"));
                if (sick.Count == 0)
                {
                    return report.Add(new Check("components-healthy", true, expected, seen));
                }
                cause = $"{string.Join(" and ", sick.Select(c => c.Name))} not healthy: " + (sick[0].Name == AirflowHealth.Metadatabase
                    ? "the api-server cannot use the metadata database ([database] sql_alchemy_conn): see airflow-migrate and airflow-api"
                    : $"not heartbeating, see the airflow-{sick[0].Name.Replace('_', '-')} resource's log");
            }
            catch (AirflowApiException error)
            {
                (seen, cause) = (error.Message, LikelyCause.ForApiError(error));
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                (seen, cause) = (error.Message, "the api-server stopped answering: see the airflow-api resource's log");
            }
            if (deadline.Elapsed > options.HealthTimeout)
            {
                return report.Add(new Check("components-healthy", false, expected, $"{seen} after {options.HealthTimeout.TotalSeconds:0} s", cause));
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> LogInAsync(VerificationReport report, CancellationToken ct)
    {
        try
        {
            await airflow.LogInAsync(options.Username, options.Password, ct).ConfigureAwait(false);
            return report.Add(new Check("token", true, $"POST /auth/token as {options.Username} gives a token", "201 with an access token"));
        }
        catch (AirflowApiException exception)
        {
            return report.Add(new Check("token", false, $"POST /auth/token as {options.Username} gives a token", exception.Message,
                exception.Status == System.Net.HttpStatusCode.Unauthorized
                    ? $"the api-server does not accept {options.Username}'s password: it reads it from [core] simple_auth_manager_passwords_file "
                      + "when it starts, which the AppHost writes from the airflow-admin-password parameter; restart airflow-api after changing it"
                    : "the simple auth manager refused the request"));
        }
    }

    private async Task<bool> WaitForDagAsync(VerificationReport report, CancellationToken ct)
    {
        var expected = $"DAG {options.DagId} parsed, without import errors";
        var clock = Stopwatch.StartNew();
        IReadOnlyList<ImportError> importErrors = [];
        while (true)
        {
            var dag = await CallAsync(report, "dag-parsed", expected, () => airflow.GetDagAsync(options.DagId, ct)).ConfigureAwait(false);
            if (dag.Failed)
            {
                return false;
            }
            if (dag.Value is { HasImportErrors: false } parsed)
            {
                return report.Add(new Check("dag-parsed", true, expected, $"{parsed.DagId} from {parsed.Fileloc}"));
            }
            var listed = await CallAsync(report, "dag-parsed", expected, () => airflow.GetImportErrorsAsync(ct)).ConfigureAwait(false);
            if (listed.Failed)
            {
                return false;
            }
            importErrors = listed.Value ?? [];
            // Fail at once on the DAG's own file; other files' errors only explain a DAG that never comes.
            // Airflow records import errors by the file's path relative to its bundle (the DAGs folder).
            var own = importErrors.FirstOrDefault(e => dag.Value is { } known
                ? e.Filename == known.RelativeFileloc || e.Filename == known.Fileloc
                : Path.GetFileNameWithoutExtension(e.Filename) == options.DagId);
            if (own is not null)
            {
                return report.Add(new Check("dag-parsed", false, expected, $"an import error in {own.Filename}",
                    $"the DAG file does not import; Airflow's error: {own.StackTrace?.Trim()}"));
            }
            if (clock.Elapsed > options.DagTimeout)
            {
                var others = importErrors.Count == 0 ? "" : $" Import errors in other files: {string.Join("; ", importErrors.Select(e => $"{e.Filename}: {LastLine(e.StackTrace)}"))}";
                return report.Add(new Check("dag-parsed", false, expected, $"no DAG {options.DagId} after {options.DagTimeout.TotalSeconds:0} s",
                    $"no file in the DAGs folder ([core] dags_folder) defines it, or the dag-processor is not parsing (see airflow-dag-processor's log).{others}"));
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> UnpauseAsync(VerificationReport report, CancellationToken ct)
    {
        var dag = await CallAsync(report, "dag-unpaused", "is_paused false", () => airflow.SetPausedAsync(options.DagId, false, ct)).ConfigureAwait(false);
        return !dag.Failed && report.Add(new Check("dag-unpaused", dag.Value is { IsPaused: false }, "is_paused false", $"is_paused {dag.Value?.IsPaused}",
            dag.Value is { IsPaused: false } ? null : "Airflow kept the DAG paused: runs of a paused DAG stay queued forever"));
    }

    private async Task<bool> VerifyRunAsync(VerificationReport report, CancellationToken ct)
    {
        var runId = NewRunId();
        report.RunId = runId;
        var triggeredAt = DateTimeOffset.UtcNow;
        (DagRun Run, TimeSpan Latency)? outcome = null;
        var ran = await StepAsync(report, "run", async () =>
        {
            var result = await CallAsync(report, "run-finished", "a terminal state", () => TriggerAndWaitAsync(runId, ct)).ConfigureAwait(false);
            outcome = result.Value;
            return !result.Failed;
        }, ct).ConfigureAwait(false);
        if (!ran)
        {
            return false;
        }

        return await StepAsync(report, "outcome", async () =>
        {
            var listed = await CallAsync(report, "tasks-listed", "the run's task instances", () => airflow.GetTaskInstancesAsync(options.DagId, runId, ct)).ConfigureAwait(false);
            if (listed.Failed)
            {
                return false;
            }
            var tasks = listed.Value ?? [];
            if (outcome is not { } finished)
            {
                var expected = $"a terminal state within {options.RunTimeout.TotalSeconds:0} s";
                var run = await CallAsync(report, "run-finished", expected, () => airflow.GetRunAsync(options.DagId, runId, ct)).ConfigureAwait(false);
                return !run.Failed && report.Add(new Check("run-finished", false, expected, $"{run.Value!.State}; tasks: {Describe(tasks)}", StuckCause(run.Value, tasks)));
            }

            report.TriggerToTerminalSeconds = Math.Round(finished.Latency.TotalSeconds, 3);
            report.RunDurationSeconds = finished.Run.EndDate - finished.Run.StartDate is { } duration ? Math.Round(duration.TotalSeconds, 3) : null;
            return await CheckOutcomeAsync(report, finished.Run, tasks, triggeredAt, ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private async Task<bool> CheckOutcomeAsync(VerificationReport report, DagRun run, IReadOnlyList<TaskInstance> tasks, DateTimeOffset triggeredAt, CancellationToken ct)
    {
        var logs = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var task in tasks.Where(t => t.TryNumber > 0))
        {
            try
            {
                logs[task.TaskId] = await airflow.GetTaskLogAsync(options.DagId, run.DagRunId, task.TaskId, task.TryNumber, ct).ConfigureAwait(false);
            }
            catch (AirflowApiException exception)
            {
                logs[task.TaskId] = [$"(log unreadable: {exception.Message})"];
            }
        }
        IReadOnlyList<CeleryResult> results = [];
        string? brokerError = null;
        try
        {
            results = await WaitForCeleryResultsAsync(triggeredAt, tasks.Count, ct).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Airflow's side is still worth checking; the broker's checks fail with this.
            brokerError = exception.Message;
        }
        var allLog = logs.Values.SelectMany(l => l).ToList();

        report.Add(new Check("run-succeeded", run.State == "success", "state success", $"state {run.State}",
            run.State == "success" ? null : LikelyCause.ForFailedRun(results.Where(r => r.Status == "FAILURE"), allLog)));
        report.Add(new Check("tasks-succeeded", tasks.Count > 0 && tasks.All(t => t.State == "success"), "every task instance success", Describe(tasks)));
        report.Add(new Check("tasks-on-worker-queues", tasks.Count > 0 && tasks.All(t => t.Queue is { } q && options.QueueList.Contains(q)),
            $"every task sent to a queue the workers consume ({options.Queues})", string.Join(", ", tasks.Select(t => $"{t.TaskId} on {t.Queue ?? "no queue"}")),
            "a task's queue no worker consumes stays queued: add the queue to Airflow:Queues"));
        // ti.hostname is what [core] hostname_callable gave the process that ran the task (the machine's FQDN), not the
        // Celery node: it proves a process reached the Task Execution API to run the task, not which worker it was.
        report.Add(new Check("tasks-ran-on-a-host", tasks.Count > 0 && tasks.All(t => !string.IsNullOrEmpty(t.Hostname)),
            "every task instance records the host that ran it (ti.hostname, the machine's name, not the Celery node)", string.Join(", ", tasks.Select(t => $"{t.TaskId} on {(string.IsNullOrEmpty(t.Hostname) ? "no host" : t.Hostname)}")),
            "no worker started the task: it never reached the Task Execution API"));
        var hasOutput = allLog.Any(line => line.Contains(options.ExpectedOutput, StringComparison.Ordinal));
        report.Add(new Check("task-log-has-output", hasOutput, $"a task log line \"{options.ExpectedOutput}\"",
            hasOutput ? "found" : allLog.Count == 0 ? "no log" : $"not found; log ends: {string.Join(" | ", allLog.TakeLast(3))}",
            hasOutput ? null : "the task did not print it, or the log is unreadable (a worker's log server unreachable: [logging] worker_log_server_port)"));

        var expectedResults = $"a celery-task-meta-* entry with status SUCCESS per task ({tasks.Count}) written during this run, in the result backend db";
        if (brokerError is not null)
        {
            report.Add(new Check("celery-result-in-backend", false, expectedResults, brokerError, "the broker stopped answering: see the dragonfly resource"));
            return false;
        }
        var succeeded = results.Count(r => r.Status == "SUCCESS");
        report.Add(new Check("celery-result-in-backend", succeeded >= tasks.Count && tasks.Count > 0, expectedResults,
            $"{succeeded} SUCCESS, {results.Count - succeeded} other ({string.Join(", ", results.Select(r => r.Status).Distinct())})",
            "the tasks did not go through Celery with this result backend ([celery] result_backend)"));
        foreach (var queue in tasks.Select(t => t.Queue).OfType<string>().Distinct())
        {
            var waiting = await broker.QueueLengthAsync(queue).ConfigureAwait(false);
            report.Add(new Check($"broker-queue-drained:{queue}", waiting == 0, $"queue {queue} empty in the broker db", $"{waiting} message(s) waiting",
                "messages nobody consumes: no worker on this queue, or workers on another broker"));
        }
        return report.Passed;
    }

    /// <summary>
    /// Celery's results of this run's tasks. The worker writes them when <c>execute_workload</c> returns, which can
    /// be after the task reported its state to the api-server and the scheduler ended the run: wait a little.
    /// </summary>
    private async Task<IReadOnlyList<CeleryResult>> WaitForCeleryResultsAsync(DateTimeOffset triggeredAt, int tasks, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await broker.ResultsSinceAsync(triggeredAt - ClockSlack).ConfigureAwait(false);
            if (results.Count(r => r.Status is "SUCCESS" or "FAILURE") >= tasks || clock.Elapsed > CeleryResultGrace)
            {
                return results;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Checks what the broker is (<c>INFO server</c>) and records it in the report.</summary>
    public async Task<bool> CheckBrokerIdentityAsync(VerificationReport report)
    {
        try
        {
            var identity = await broker.IdentifyAsync().ConfigureAwait(false);
            report.Broker = identity.Description;
            return report.Add(new Check("broker-is-dragonfly", identity.IsDragonfly, "INFO server reports dragonfly_version",
                $"{identity.Description} at {identity.Endpoint}",
                identity.IsDragonfly ? null : "the broker is not Dragonfly: Dragonfly:Executable or the connection string points at another server"));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return report.Add(new Check("broker-is-dragonfly", false, "INFO server reports dragonfly_version", exception.Message,
                "the broker does not answer: see the dragonfly resource"));
        }
    }

    private static string StuckCause(DagRun run, IReadOnlyList<TaskInstance> tasks)
        => run.State == "queued"
            ? "the run was never started: the DAG is paused, or the scheduler is not running"
            : tasks.Any(t => t.State == "queued")
                ? "a task stayed queued: no Celery worker picked it up (workers down, on other queues, or on another broker)"
                : "the run did not finish in time: see the task log and the workers' logs";

    private static string Describe(IReadOnlyList<TaskInstance> tasks)
        => tasks.Count == 0 ? "no task instances" : string.Join(", ", tasks.Select(t => $"{t.TaskId} {t.State ?? "no state"}"));

    private static string LastLine(string? text) => text?.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    /// <summary>Calls Airflow; an API error becomes a failed check with Airflow's own detail and its likely cause.</summary>
    private static async Task<(T? Value, bool Failed)> CallAsync<T>(VerificationReport report, string check, string expected, Func<Task<T>> call)
    {
        try
        {
            return (await call().ConfigureAwait(false), false);
        }
        catch (AirflowApiException exception)
        {
            report.Add(new Check(check, false, expected, exception.Message, LikelyCause.ForApiError(exception)));
            return (default, true);
        }
    }

    /// <summary>One step: a span, a duration in the report and the metric, the outcome logged; an exception is a failed check.</summary>
    private async Task<bool> StepAsync(VerificationReport report, string name, Func<Task<bool>> step, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var activity = VerifierTelemetry.Source.StartActivity($"verify {name}");
        var clock = Stopwatch.StartNew();
        bool passed;
        try
        {
            passed = await step().ConfigureAwait(false);
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            // An error answer, a connection refused, a timeout of the HTTP pipeline, a body that is not Airflow's, a broker
            // gone: a failed step, never a crash.
            passed = report.Add(new Check($"{name}-step", false, $"the {name} step completes", $"{exception.GetType().Name}: {exception.Message}",
                exception switch
                {
                    AirflowApiException api => LikelyCause.ForApiError(api),
                    TimeoutException or RedisException => "the broker refused or stopped answering: see the dragonfly resource",
                    System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException
                        => "the api-server answered with a body Airflow does not send: is Verifier:AirflowUrl an Airflow 3 api-server?",
                    _ => "the api-server stopped answering or timed out: see the airflow-api resource's log",
                }));
        }
        var seconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        report.StepSeconds[name] = seconds;
        activity?.SetStatus(passed ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        VerifierTelemetry.StepDuration.Record(seconds, new("step", name), new("passed", passed));
        logger.LogInformation("Step {Step} {Outcome} in {Seconds:0.000} s", name, passed ? "passed" : "failed", seconds);
        return passed;
    }
}
