using System.Diagnostics;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>outcome</c>: what the triggered run left behind. In Airflow: the run's state, its task instances (state, queue,
/// host) and the task log. In the broker: Celery's result of each task in the result backend, and every queue the
/// tasks went to drained. A run that did not end in time fails <c>run-finished</c> instead, with what it was stuck on.
/// </summary>
public sealed class OutcomeStep(AirflowClient airflow, CeleryBrokerInspector broker, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    // Clocks of the Verifier and the worker are one machine's, but Celery rounds nothing: a little slack.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public string Name => "outcome";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var report = run.Report;
        var runId = run.RunId ?? throw new InvalidOperationException("The outcome step runs after the run step, which sets the run id.");
        var listed = await AirflowCall.CheckedAsync(report, causes, "tasks-listed", "the run's task instances",
            () => airflow.GetTaskInstancesAsync(options.DagId, runId, ct)).ConfigureAwait(false);
        if (listed.Failed)
        {
            return false;
        }
        var tasks = listed.Value ?? [];
        if (run.Finished is not { } finished)
        {
            var expected = $"a terminal state within {options.RunTimeout.TotalSeconds:0} s";
            var stuck = await AirflowCall.CheckedAsync(report, causes, "run-finished", expected, () => airflow.GetRunAsync(options.DagId, runId, ct)).ConfigureAwait(false);
            return !stuck.Failed && report.Add(new Check("run-finished", false, expected, $"{stuck.Value!.State}; tasks: {Describe(tasks)}",
                causes.RunNotFinished(stuck.Value, tasks)));
        }

        report.TriggerToTerminalSeconds = Math.Round(finished.Latency.TotalSeconds, 3);
        report.RunDurationSeconds = finished.Run.EndDate - finished.Run.StartDate is { } duration ? Math.Round(duration.TotalSeconds, 3) : null;

        var log = await ReadTaskLogsAsync(finished.Run, tasks, ct).ConfigureAwait(false);
        IReadOnlyList<CeleryResult> results = [];
        string? brokerError = null;
        try
        {
            results = await WaitForCeleryResultsAsync(run.TriggeredAt, tasks, ct).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Airflow's side is still worth checking; the broker's checks fail with this.
            brokerError = exception.Message;
        }

        CheckAirflowSide(report, finished.Run, tasks, log, results);
        return await CheckBrokerSideAsync(report, tasks, results, brokerError).ConfigureAwait(false);
    }

    /// <summary>The run, its task instances and the task log, as Airflow reports them.</summary>
    private void CheckAirflowSide(VerificationReport report, DagRun run, IReadOnlyList<TaskInstance> tasks, IReadOnlyList<string> log, IReadOnlyList<CeleryResult> results)
    {
        report.Add(new Check("run-succeeded", run.State == "success", "state success", $"state {run.State}",
            run.State == "success" ? null : causes.ForFailedRun(results.Where(r => r.Status == "FAILURE"), log)));
        report.Add(new Check("tasks-succeeded", tasks.Count > 0 && tasks.All(t => t.State == "success"), "every task instance success", Describe(tasks)));
        report.Add(new Check("tasks-on-worker-queues", tasks.Count > 0 && tasks.All(t => t.Queue is { } q && options.QueueList.Contains(q)),
            $"every task sent to a queue the workers consume ({options.Queues})", string.Join(", ", tasks.Select(t => $"{t.TaskId} on {t.Queue ?? "no queue"}")),
            causes.TaskOnAQueueNoWorkerConsumes));
        // ti.hostname is what [core] hostname_callable gave the process that ran the task (the machine's FQDN), not the
        // Celery node: it proves a process reached the Task Execution API to run the task, not which worker it was.
        report.Add(new Check("tasks-ran-on-a-host", tasks.Count > 0 && tasks.All(t => !string.IsNullOrEmpty(t.Hostname)),
            "every task instance records the host that ran it (ti.hostname, the machine's name, not the Celery node)",
            string.Join(", ", tasks.Select(t => $"{t.TaskId} on {(string.IsNullOrEmpty(t.Hostname) ? "no host" : t.Hostname)}")),
            causes.TaskNeverStarted));
        var hasOutput = log.Any(line => line.Contains(options.ExpectedOutput, StringComparison.Ordinal));
        report.Add(new Check("task-log-has-output", hasOutput, $"a task log line \"{options.ExpectedOutput}\"",
            hasOutput ? "found" : log.Count == 0 ? "no log" : $"not found; log ends: {string.Join(" | ", log.TakeLast(3))}",
            hasOutput ? null : causes.OutputMissing));
    }

    /// <summary>Celery's traces of the tasks in the broker: a result each in the result backend, their queues drained.</summary>
    private async Task<bool> CheckBrokerSideAsync(VerificationReport report, IReadOnlyList<TaskInstance> tasks, IReadOnlyList<CeleryResult> results, string? brokerError)
    {
        var expected = $"a celery-task-meta-* entry with status SUCCESS per task ({tasks.Count}) written during this run, in the result backend db";
        if (brokerError is not null)
        {
            report.Add(new Check("celery-result-in-backend", false, expected, brokerError, causes.BrokerStoppedAnswering));
            return false;
        }
        var succeeded = results.Count(r => r.Status == "SUCCESS");
        report.Add(new Check("celery-result-in-backend", succeeded >= tasks.Count && tasks.Count > 0, expected,
            $"{succeeded} SUCCESS, {results.Count - succeeded} other ({string.Join(", ", results.Select(r => r.Status).Distinct())})",
            causes.CeleryResultsMissing));
        foreach (var queue in tasks.Select(t => t.Queue).OfType<string>().Distinct())
        {
            var waiting = await broker.QueueLengthAsync(queue).ConfigureAwait(false);
            report.Add(new Check($"broker-queue-drained:{queue}", waiting == 0, $"queue {queue} empty in the broker db", $"{waiting} message(s) waiting",
                causes.QueueNotDrained));
        }
        return report.Passed;
    }

    /// <summary>The log of every task that ran, one list of lines; an unreadable log is a line saying why.</summary>
    private async Task<IReadOnlyList<string>> ReadTaskLogsAsync(DagRun run, IReadOnlyList<TaskInstance> tasks, CancellationToken ct)
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
        return logs.Values.SelectMany(l => l).ToList();
    }

    /// <summary>
    /// Celery's results of this run's tasks. The worker writes one when <c>execute_workload</c> returns, and Airflow 3.0.3's
    /// supervisor returns only after its last <c>select()</c> has slept out <c>[workers] min_heartbeat_interval</c> (5 s)
    /// following the task's success (task-sdk <c>supervisor.py</c>, <c>_monitor_subprocess</c>): 5.06 s after the run ended on a
    /// real deployment, which a fixed 5 s grace missed by 52 ms. So it waits for a result from every task that ran on a
    /// worker (those with a host), bounded by the run's own timeout; a task that never reached a worker leaves none to wait for.
    /// </summary>
    private async Task<IReadOnlyList<CeleryResult>> WaitForCeleryResultsAsync(DateTimeOffset triggeredAt, IReadOnlyList<TaskInstance> tasks, CancellationToken ct)
    {
        var ranOnAWorker = tasks.Count(t => !string.IsNullOrEmpty(t.Hostname));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await broker.ResultsSinceAsync(triggeredAt - ClockSlack).ConfigureAwait(false);
            if (results.Count(r => r.Status is "SUCCESS" or "FAILURE") >= ranOnAWorker || clock.Elapsed > options.RunTimeout)
            {
                return results;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private static string Describe(IReadOnlyList<TaskInstance> tasks)
        => tasks.Count == 0 ? "no task instances" : string.Join(", ", tasks.Select(t => $"{t.TaskId} {t.State ?? "no state"}"));
}
