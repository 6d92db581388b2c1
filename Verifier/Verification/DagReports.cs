namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// What a chosen DAG's run came to, for the report's <c>dags</c> section: the run, every task instance, and for each
/// task that did not succeed its cause and the end of its log. Its checks (<c>dag-…:{dag_id}</c>) are in the report's checks.
/// </summary>
public sealed class DagReport
{
    /// <summary>The DAG.</summary>
    public required string DagId { get; init; }

    /// <summary>How it was chosen: <c>id</c>, or <c>tag:NAME</c>.</summary>
    public required string ChosenBy { get; init; }

    /// <summary>The run the Verifier triggered; null when it never got to trigger one.</summary>
    public string? RunId { get; set; }

    /// <summary>The run's state as last seen (<c>success</c>, <c>failed</c>, or the state it was stuck in); null without a run.</summary>
    public string? State { get; set; }

    /// <summary>True when every check of this DAG passed.</summary>
    public bool Passed { get; set; }

    /// <summary>Seconds from the trigger to the Verifier seeing the run's terminal state.</summary>
    public double? TriggerToTerminalSeconds { get; set; }

    /// <summary>Every task instance of the run.</summary>
    public List<TaskReport> Tasks { get; } = [];

    /// <summary>The task instances that did not succeed, each with its likely cause and the end of its log.</summary>
    public List<FailedTaskReport> FailedTasks { get; } = [];
}

/// <summary>A task instance of a chosen DAG's run.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="State">Its state; null when Airflow set none yet.</param>
/// <param name="TryNumber">Its try.</param>
/// <param name="Queue">The Celery queue it was sent to.</param>
/// <param name="Hostname">The host that ran it; null when none did.</param>
/// <param name="MapIndex">Its map index; -1 when it is not mapped.</param>
public sealed record TaskReport(string TaskId, string? State, int TryNumber, string? Queue, string? Hostname, int MapIndex);

/// <summary>A task instance that did not succeed.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="State">Its state (<c>failed</c>, <c>upstream_failed</c>, or the state it was stuck in).</param>
/// <param name="Cause">The likely cause: the exception of its log's "Task failed with exception" record, else its last error lines.</param>
/// <param name="LogTail">The last lines of its log (of its latest try); empty when it never ran.</param>
/// <param name="MapIndex">Its map index; -1 when it is not mapped.</param>
public sealed record FailedTaskReport(string TaskId, string? State, string Cause, IReadOnlyList<string> LogTail, int MapIndex = -1);

/// <summary>What the dag-processor made of the DAGs folder, read after the runs (the report's <c>parse</c>).</summary>
/// <param name="DagCount">The active DAGs Airflow knows (<c>GET /api/v2/dags</c>'s <c>total_entries</c>).</param>
/// <param name="ImportErrors">The files that did not import.</param>
public sealed record ParseReport(int DagCount, IReadOnlyList<ImportErrorReport> ImportErrors);

/// <summary>A file that did not import.</summary>
/// <param name="Filename">The file, as Airflow records it (relative to its bundle, the DAGs folder).</param>
/// <param name="Line">The line of the traceback's last frame in that file; null when the error has no frame of it.</param>
/// <param name="Error">Airflow's own error text: the last line of its stack trace (e.g. <c>NameError: name 'x' is not defined</c>).</param>
public sealed record ImportErrorReport(string Filename, int? Line, string Error);
