using System.Diagnostics;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>dags</c>: the user's own DAGs (<see cref="VerifierOptions.Dags"/>), after the stack's own proof. Each is waited for
/// until parsed (<see cref="VerifierOptions.DagTimeout"/>; an import error of its file fails it at once), unpaused,
/// triggered with its conf, and every run is polled at once to a terminal state (<see cref="VerifierOptions.RunTimeout"/>).
/// Then, per DAG: the run succeeded, every task instance succeeded, went to a queue the workers consume and ran on a
/// host; each task that did not succeed gets its cause and the end of its log in the report's <c>dags</c>. The checks
/// are named for the DAG (<c>dag-run-succeeded:{dag_id}</c>, ...) or the tag (<c>dag-tag:{name}</c>).
/// </summary>
public sealed class ChosenDagsStep(AirflowClient airflow, VerifierOptions options, DagSelection selection, RunTrigger trigger, LikelyCause causes)
    : IVerificationStep
{
    /// <inheritdoc />
    public string Name => "dags";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var report = run.Report;
        var failedBefore = report.Checks.Count(c => !c.Passed);
        var unresolved = new List<(string DagId, string ChosenBy)>();
        var chosen = await ResolveAsync(report, unresolved, ct).ConfigureAwait(false);
        // A chosen DAG that never got to run has its section all the same: the AppHost and the reader see every one.
        report.Dags.AddRange(unresolved.Select(u => new DagReport { DagId = u.DagId, ChosenBy = u.ChosenBy }));
        foreach (var dagId in selection.ConfiguredDagIds.Where(id => !chosen.Any(c => string.Equals(c.Dag.DagId, id, StringComparison.OrdinalIgnoreCase))))
        {
            report.Add(new Check($"dag-conf:{dagId}", false, $"a conf only for a chosen DAG", $"Verifier:Conf:{dagId} set; {dagId} not chosen",
                LikelyCause.ConfForUnchosenDag(dagId)));
        }

        var ready = new List<DagReport>();
        foreach (var (dag, chosenBy) in chosen)
        {
            var section = new DagReport { DagId = dag.DagId, ChosenBy = chosenBy };
            report.Dags.Add(section);
            var unpaused = await AirflowCall.CheckedAsync(report, causes, $"dag-unpaused:{dag.DagId}", "is_paused false",
                () => airflow.SetPausedAsync(dag.DagId, false, ct)).ConfigureAwait(false);
            if (!unpaused.Failed && report.Add(new Check($"dag-unpaused:{dag.DagId}", unpaused.Value is { IsPaused: false }, "is_paused false",
                    $"is_paused {unpaused.Value?.IsPaused}", causes.DagKeptPaused)))
            {
                ready.Add(section);
            }
        }

        // Every run at once, each polled at PollInterval: the verdict of each follows Airflow's terminal state by at most that.
        var outcomes = await Task.WhenAll(ready.Select(section => TriggerAndWaitAsync(section, ct))).ConfigureAwait(false);
        foreach (var (section, outcome) in ready.Zip(outcomes))
        {
            await CheckRunAsync(report, section, outcome, ct).ConfigureAwait(false);
        }
        foreach (var section in report.Dags.Where(s => chosen.Any(c => c.Dag.DagId == s.DagId)))
        {
            section.Passed = report.Checks.Where(c => IsCheckOf(c, section.DagId)).All(c => c.Passed);
        }
        return report.Checks.Count(c => !c.Passed) == failedBefore;
    }

    /// <summary>A trigger and its poll, or Airflow's error answer to one of them (checked after every run has ended).</summary>
    private sealed record RunOutcome(DateTimeOffset TriggeredAt, (DagRun Run, TimeSpan Latency)? Finished, AirflowApiException? Error);

    private async Task<RunOutcome> TriggerAndWaitAsync(DagReport section, CancellationToken ct)
    {
        section.RunId = RunTrigger.NewRunId();
        var triggeredAt = DateTimeOffset.UtcNow;
        try
        {
            return new RunOutcome(triggeredAt, await trigger.TriggerAndWaitAsync(section.DagId, section.RunId, selection.ConfFor(section.DagId), ct).ConfigureAwait(false), null);
        }
        catch (AirflowApiException error)
        {
            return new RunOutcome(triggeredAt, null, error);
        }
    }

    /// <summary>The checks of one chosen DAG's run, and its section of the report.</summary>
    private async Task CheckRunAsync(VerificationReport report, DagReport section, RunOutcome outcome, CancellationToken ct)
    {
        var dagId = section.DagId;
        var runId = section.RunId!;
        if (outcome.Error is { } error)
        {
            var refused = error.Operation.StartsWith("POST", StringComparison.Ordinal);
            if (refused)
            {
                section.RunId = null;
            }
            report.Add(refused
                ? new Check($"dag-triggered:{dagId}", false, "POST dagRuns with its conf creates a run", error.Message,
                    causes.TriggerRefused(error, dagId, selection.ConfiguredDagIds.Any(id => string.Equals(id, dagId, StringComparison.OrdinalIgnoreCase))))
                : new Check($"dag-run-finished:{dagId}", false, "its run polled to a terminal state", error.Message, causes.ForApiError(error)));
            return;
        }
        var listed = await AirflowCall.CheckedAsync(report, causes, $"dag-tasks-listed:{dagId}", "the run's task instances",
            () => airflow.GetTaskInstancesAsync(dagId, runId, ct)).ConfigureAwait(false);
        if (listed.Failed)
        {
            return;
        }
        var tasks = listed.Value ?? [];
        section.Tasks.AddRange(tasks.Select(t => new TaskReport(t.TaskId, t.State, t.TryNumber, t.Queue, t.Hostname, t.MapIndex)));

        if (outcome.Finished is not { } finished)
        {
            var expected = $"a terminal state within Verifier:RunTimeout ({options.RunTimeout.TotalSeconds:0} s)";
            var stuck = await AirflowCall.CheckedAsync(report, causes, $"dag-run-finished:{dagId}", expected, () => airflow.GetRunAsync(dagId, runId, ct)).ConfigureAwait(false);
            if (stuck.Failed)
            {
                return;
            }
            section.State = stuck.Value!.State;
            var cause = causes.ChosenRunNotFinished(stuck.Value, tasks);
            await AddFailedTasksAsync(section, tasks, t => t.State is not ("success" or "skipped"), _ => $"stuck: {cause}", ct).ConfigureAwait(false);
            report.Add(new Check($"dag-run-finished:{dagId}", false, expected, $"{stuck.Value.State}; tasks: {Describe(tasks)}", cause));
            return;
        }

        section.State = finished.Run.State;
        section.TriggerToTerminalSeconds = Math.Round(finished.Latency.TotalSeconds, 3);
        // Skipped is an outcome of a successful run (a branch not taken, a short-circuit): the run says success, and so does this.
        await AddFailedTasksAsync(section, tasks, t => t.State is not ("success" or "skipped"), null, ct).ConfigureAwait(false);
        var succeeded = finished.Run.State == "success";
        report.Add(new Check($"dag-run-succeeded:{dagId}", succeeded, "state success", $"state {finished.Run.State}",
            succeeded ? null : section.FailedTasks.FirstOrDefault(f => f.State == "failed") is { } first
                ? $"task {first.TaskId} failed: {first.Cause}"
                : $"the run failed with no failed task (a dagrun_timeout, or a task marked by hand): see {options.Resources.Scheduler}'s log"));
        report.Add(new Check($"dag-tasks-succeeded:{dagId}", tasks.Count > 0 && tasks.All(t => t.State is "success" or "skipped"), "every task instance success (or skipped)", Describe(tasks),
            tasks.Count == 0 ? "the run has no task instances: the scheduler did not create them" : string.Join("; ", section.FailedTasks.Select(f => $"{f.TaskId}: {f.Cause}"))));
        report.Add(new Check($"dag-tasks-on-worker-queues:{dagId}", tasks.Count > 0 && tasks.All(t => t.Queue is { } q && options.QueueList.Contains(q)),
            $"every task sent to a queue the workers consume ({options.Queues})", string.Join(", ", tasks.Select(t => $"{t.TaskId} on {t.Queue ?? "no queue"}")),
            causes.TaskOnAQueueNoWorkerConsumes));
        // A task Airflow never ran (upstream_failed, skipped, removed) has no host by design; every one that ran must.
        var ran = tasks.Where(t => t.State is not ("upstream_failed" or "skipped" or "removed")).ToList();
        report.Add(new Check($"dag-tasks-ran-on-a-host:{dagId}", ran.Count > 0 && ran.All(t => !string.IsNullOrEmpty(t.Hostname)),
            "every task instance that ran records the host that ran it (ti.hostname)",
            string.Join(", ", ran.Select(t => $"{t.TaskId} on {(string.IsNullOrEmpty(t.Hostname) ? "no host" : t.Hostname)}")),
            causes.TaskNeverStarted));
    }

    /// <summary>
    /// The report's entry of each task matching <paramref name="failed"/>: its cause (from its log, or
    /// <paramref name="stuckCause"/>) and the end of the log of its latest try.
    /// </summary>
    private async Task AddFailedTasksAsync(DagReport section, IReadOnlyList<TaskInstance> tasks, Func<TaskInstance, bool> failed,
        Func<TaskInstance, string>? stuckCause, CancellationToken ct)
    {
        var failedTasks = tasks.Where(t => t.State == "failed").Select(t => t.TaskId).Distinct().ToList();
        foreach (var task in tasks.Where(failed))
        {
            IReadOnlyList<TaskLogRecord> log = [];
            string? unreadable = null;
            if (task.TryNumber > 0)
            {
                try
                {
                    log = await airflow.GetTaskLogRecordsAsync(section.DagId, section.RunId!, task.TaskId, task.TryNumber, ct, task.MapIndex).ConfigureAwait(false);
                }
                catch (AirflowApiException error)
                {
                    unreadable = $"(log unreadable: {error.Message})";
                }
            }
            var cause = stuckCause?.Invoke(task) ?? task.State switch
            {
                "upstream_failed" => $"not run: an upstream task did not succeed ({(failedTasks.Count > 0 ? string.Join(", ", failedTasks) : "see the run's graph")})",
                "skipped" => "skipped by the DAG's own logic (a branch or a short-circuit), or by hand",
                _ => TaskLogReading.CauseFrom(log) ?? unreadable
                    ?? (task.TryNumber == 0 ? $"never ran (state {task.State ?? "none"})" : "its log is empty: see the worker's log"),
            };
            var tail = unreadable is not null ? [unreadable] : TaskLogReading.Tail(log);
            section.FailedTasks.Add(new FailedTaskReport(task.TaskId, task.State, cause, tail, task.MapIndex));
        }
    }

    /// <summary>
    /// The chosen DAGs, each with how it was chosen, once parsed; a failed check for each id Airflow does not know after
    /// <see cref="VerifierOptions.DagTimeout"/> (or whose file does not import: at once) and each tag that selects none.
    /// The stack's own DAG (<see cref="VerifierOptions.DagId"/>) is proven by its own steps and not run again.
    /// </summary>
    private async Task<List<(Dag Dag, string ChosenBy)>> ResolveAsync(VerificationReport report, List<(string DagId, string ChosenBy)> unresolved, CancellationToken ct)
    {
        var chosen = new List<(Dag Dag, string ChosenBy)>();
        var pendingIds = selection.DagIds.Where(id => id != options.DagId).ToList();
        var pendingTags = selection.Tags.ToList();
        // Each tag's selection and since when it has been the same: it is run once it has held for TagSettleTime.
        var tagSelections = new Dictionary<string, (string Ids, TimeSpan Since)>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = new List<Dag>();
            foreach (var dagId in pendingIds.ToList())
            {
                var expected = $"DAG {dagId} parsed, without import errors, within Verifier:DagTimeout ({options.DagTimeout.TotalSeconds:0} s)";
                var dag = await AirflowCall.CheckedAsync(report, causes, $"dag-parsed:{dagId}", expected, () => airflow.GetDagAsync(dagId, ct)).ConfigureAwait(false);
                if (dag.Failed)
                {
                    pendingIds.Remove(dagId);
                    unresolved.Add((dagId, "id"));
                }
                else if (dag.Value is { } known)
                {
                    found.Add(known);
                    chosen.Add((known, "id"));
                    pendingIds.Remove(dagId);
                }
            }
            foreach (var tag in pendingTags.ToList())
            {
                var tagged = await AirflowCall.CheckedAsync(report, causes, $"dag-tag:{tag}", $"tag:{tag} selects a DAG", () => airflow.GetDagsAsync(tag, ct)).ConfigureAwait(false);
                if (tagged.Failed)
                {
                    pendingTags.Remove(tag);
                }
                else if (tagged.Value is { Count: > 0 } dags && Settled(tag, dags))
                {
                    var selected = dags.Where(d => d.DagId != options.DagId).ToList();
                    report.Add(new Check($"dag-tag:{tag}", true, $"tag:{tag} selects a DAG", $"{string.Join(", ", dags.Select(d => d.DagId))}"));
                    foreach (var dag in selected.Where(d => !chosen.Any(c => c.Dag.DagId == d.DagId)))
                    {
                        found.Add(dag);
                        chosen.Add((dag, $"tag:{tag}"));
                    }
                    pendingTags.Remove(tag);
                }
            }

            // The same DAGs for TagSettleTime: a tagged file the dag-processor had not reached yet has had its refresh to come.
            bool Settled(string tag, IReadOnlyList<Dag> dags)
            {
                var ids = string.Join(',', dags.Select(d => d.DagId).Order(StringComparer.Ordinal));
                if (!tagSelections.TryGetValue(tag, out var seen) || seen.Ids != ids)
                {
                    tagSelections[tag] = seen = (ids, clock.Elapsed);
                }
                return clock.Elapsed - seen.Since >= options.TagSettleTime;
            }

            // Import errors explain a DAG that is known with has_import_errors, or an id that never comes; read once a round.
            IReadOnlyList<ImportError> importErrors = [];
            if (pendingIds.Count > 0 || found.Any(d => d.HasImportErrors))
            {
                var listed = await AirflowCall.CheckedAsync(report, causes, "dag-import-errors-listed", "GET /api/v2/importErrors answers",
                    () => airflow.GetImportErrorsAsync(ct)).ConfigureAwait(false);
                importErrors = listed.Value ?? [];
            }
            foreach (var dag in found)
            {
                var expected = $"DAG {dag.DagId} parsed, without import errors";
                var own = dag.HasImportErrors ? importErrors.FirstOrDefault(e => e.Filename == dag.RelativeFileloc || e.Filename == dag.Fileloc) : null;
                if (dag.HasImportErrors)
                {
                    unresolved.AddRange(chosen.Where(c => c.Dag.DagId == dag.DagId).Select(c => (c.Dag.DagId, c.ChosenBy)));
                    chosen.RemoveAll(c => c.Dag.DagId == dag.DagId);
                    report.Add(new Check($"dag-parsed:{dag.DagId}", false, expected, $"an import error in {own?.Filename ?? dag.RelativeFileloc}",
                        own is null ? "the DAG's file no longer imports (has_import_errors): see the dag-processor's log" : causes.DagDoesNotImport(own)));
                }
                else
                {
                    report.Add(new Check($"dag-parsed:{dag.DagId}", true, expected, $"{dag.DagId} from {dag.Fileloc}"));
                }
            }
            // An id whose own file does not import fails at once: Airflow records the file, named after the DAG as a rule.
            foreach (var dagId in pendingIds.ToList())
            {
                if (importErrors.FirstOrDefault(e => Path.GetFileNameWithoutExtension(e.Filename) == dagId) is { } own)
                {
                    report.Add(new Check($"dag-parsed:{dagId}", false, $"DAG {dagId} parsed, without import errors", $"an import error in {own.Filename}",
                        causes.DagDoesNotImport(own)));
                    pendingIds.Remove(dagId);
                    unresolved.Add((dagId, "id"));
                }
            }

            if (pendingIds.Count == 0 && pendingTags.Count == 0)
            {
                return chosen;
            }
            if (clock.Elapsed > options.DagTimeout)
            {
                await FailUnresolvedAsync(report, pendingIds, pendingTags, importErrors, ct).ConfigureAwait(false);
                unresolved.AddRange(pendingIds.Select(id => (id, "id")));
                return chosen;
            }
            await Task.Delay(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The ids Airflow does not know and the tags that select no DAG, once the DAG timeout has passed: each a failed check with the fix.</summary>
    private async Task FailUnresolvedAsync(VerificationReport report, List<string> pendingIds, List<string> pendingTags, IReadOnlyList<ImportError> importErrors, CancellationToken ct)
    {
        var listed = await AirflowCall.CheckedAsync(report, causes, "dags-listed", "GET /api/v2/dags answers", () => airflow.GetDagsAsync(null, ct)).ConfigureAwait(false);
        var known = listed.Value ?? [];
        var seconds = options.DagTimeout.TotalSeconds;
        foreach (var dagId in pendingIds)
        {
            report.Add(new Check($"dag-parsed:{dagId}", false, $"DAG {dagId} (Verifier:Dags) known to Airflow within Verifier:DagTimeout ({seconds:0} s)",
                $"no DAG {dagId} after {seconds:0} s", causes.ChosenDagUnknown(dagId, known.Select(d => d.DagId).Order(StringComparer.Ordinal).ToList(), importErrors)));
        }
        var tags = known.SelectMany(d => d.Tags ?? []).Select(t => t.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var tag in pendingTags)
        {
            report.Add(new Check($"dag-tag:{tag}", false, $"tag:{tag} (Verifier:Dags) selects a DAG within Verifier:DagTimeout ({seconds:0} s)",
                $"no DAG with tag {tag} after {seconds:0} s", causes.TagSelectsNoDag(tag, tags)));
        }
    }

    /// <summary>A check of one chosen DAG: <c>dag-…:{dag_id}</c>, not a tag's or a conf's.</summary>
    private static bool IsCheckOf(Check check, string dagId)
        => check.Name.StartsWith("dag-", StringComparison.Ordinal) && !check.Name.StartsWith("dag-tag:", StringComparison.Ordinal)
            && !check.Name.StartsWith("dag-conf:", StringComparison.Ordinal) && check.Name.EndsWith($":{dagId}", StringComparison.Ordinal);

    private static string Describe(IReadOnlyList<TaskInstance> tasks)
        => tasks.Count == 0 ? "no task instances" : string.Join(", ", tasks.Select(t => $"{t.TaskId}{(t.MapIndex >= 0 ? $"[{t.MapIndex}]" : "")} {t.State ?? "no state"}"));
}
