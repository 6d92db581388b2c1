using System.Text.Json;
using System.Text.Json.Serialization;

namespace AirflowAspire.Verifier.Airflow;

// The parts of Airflow's REST API v2 responses the Verifier reads; names and types follow the
// schemas of Airflow's OpenAPI document (VersionInfo, DAGResponse, ...). HealthInfoResponse is read by the
// AppHost too: AirflowAspire.Contracts.AirflowHealth.

/// <summary><c>GET /api/v2/version</c>.</summary>
public sealed record AirflowVersion(string Version, string? GitVersion);

/// <summary><c>GET /api/v2/dags/{dag_id}</c>, and an entry of <c>GET /api/v2/dags</c> (DAGResponse).</summary>
public sealed record Dag(string DagId, bool IsPaused, bool HasImportErrors, string? Fileloc, string? RelativeFileloc, IReadOnlyList<DagTag>? Tags = null);

/// <summary>A tag of a DAG (DagTagResponse).</summary>
public sealed record DagTag(string Name, string? DagId);

/// <summary>An entry of <c>GET /api/v2/importErrors</c>.</summary>
public sealed record ImportError(string? Filename, string? StackTrace);

/// <summary>A DAG run.</summary>
public sealed record DagRun(string DagRunId, string DagId, string State, DateTimeOffset? QueuedAt, DateTimeOffset? StartDate, DateTimeOffset? EndDate)
{
    /// <summary>True once Airflow will not change the state again.</summary>
    [JsonIgnore]
    public bool IsTerminal => State is "success" or "failed";
}

/// <summary>A task instance of a run.</summary>
public sealed record TaskInstance(string TaskId, string? State, int TryNumber, string? Hostname, string? Queue, DateTimeOffset? StartDate, DateTimeOffset? EndDate,
    string? Pool = null, int MapIndex = -1);

/// <summary>
/// A message of a task's log (StructuredLogMessage: <c>event</c>, and any other fields). The task's supervisor turns the
/// <c>exception</c> of a record into <c>error_detail</c> (task-sdk/src/airflow/sdk/execution_time/supervisor.py,
/// <c>process_log_messages_from_subprocess</c>): structlog's dict traceback, a list of exceptions each with
/// <c>exc_type</c>, <c>exc_value</c> and <c>frames</c> (<c>filename</c>, <c>lineno</c>, <c>name</c>), the raised one first.
/// </summary>
/// <param name="Event">The message.</param>
/// <param name="Level">Its level (<c>info</c>, <c>error</c>, ...); null on a plain line.</param>
/// <param name="ErrorDetail">Its <c>error_detail</c>; null when it has none.</param>
public sealed record TaskLogRecord(string Event, string? Level, JsonElement? ErrorDetail)
{
    /// <summary>Reads one entry of the log's <c>content</c>: a structured message, or a plain string.</summary>
    public static TaskLogRecord From(JsonElement line) => line.ValueKind switch
    {
        JsonValueKind.String => new TaskLogRecord(line.GetString() ?? "", null, null),
        JsonValueKind.Object => new TaskLogRecord(
            line.TryGetProperty("event", out var e) ? e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.ToString() : "",
            line.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.String ? level.GetString() : null,
            line.TryGetProperty("error_detail", out var detail) && detail.ValueKind is JsonValueKind.Array or JsonValueKind.Object ? detail.Clone() : null),
        _ => new TaskLogRecord(line.ToString(), null, null),
    };
}

/// <summary>How Airflow's JSON is read: snake_case names, extra fields ignored.</summary>
internal static class AirflowJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
