using System.Text.Json;
using System.Text.Json.Serialization;

namespace AirflowAspire.Verifier.Airflow;

// The parts of Airflow's REST API v2 responses the Verifier reads; names and types follow the
// schemas of Airflow's OpenAPI document (VersionInfo, DAGResponse, ...). HealthInfoResponse is read by the
// AppHost too: AirflowAspire.Contracts.AirflowHealth.

/// <summary><c>GET /api/v2/version</c>.</summary>
public sealed record AirflowVersion(string Version, string? GitVersion);

/// <summary><c>GET /api/v2/dags/{dag_id}</c>.</summary>
public sealed record Dag(string DagId, bool IsPaused, bool HasImportErrors, string? Fileloc, string? RelativeFileloc);

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
public sealed record TaskInstance(string TaskId, string? State, int TryNumber, string? Hostname, string? Queue, DateTimeOffset? StartDate, DateTimeOffset? EndDate);

/// <summary>How Airflow's JSON is read: snake_case names, extra fields ignored.</summary>
internal static class AirflowJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
