using System.Text.Json;

namespace AirflowAspire.Contracts;

/// <summary>One component of Airflow's health body; its status is <c>healthy</c>, <c>unhealthy</c>, or null when it never ran.</summary>
/// <param name="Name">The component, one of <see cref="AirflowHealth.Components"/>.</param>
/// <param name="Status">Its status as Airflow reports it.</param>
public sealed record AirflowComponentHealth(string Name, string? Status)
{
    /// <summary>True when Airflow reports it <c>healthy</c>.</summary>
    public bool IsHealthy => Status == AirflowHealth.Healthy;
}

/// <summary>
/// Airflow's <c>GET /api/v2/monitor/health</c> (its <c>HealthInfoResponse</c> schema): one object per component with a
/// <c>status</c>. The endpoint answers 200 whatever the components' state (apache/airflow#22895), so the body is what
/// says anything; a component may be absent or null as a whole (<c>dag_processor</c>, which the schema makes optional).
/// </summary>
public static class AirflowHealth
{
    /// <summary>The endpoint's path on the api-server; it needs no token.</summary>
    public const string Path = "/api/v2/monitor/health";

    /// <summary>The metadata database, as the api-server sees it.</summary>
    public const string Metadatabase = "metadatabase";

    /// <summary>The scheduler, by its heartbeat.</summary>
    public const string Scheduler = "scheduler";

    /// <summary>The DAG processor, by its heartbeat.</summary>
    public const string DagProcessor = "dag_processor";

    /// <summary>The triggerer, by its heartbeat.</summary>
    public const string Triggerer = "triggerer";

    /// <summary>The status of a healthy component.</summary>
    public const string Healthy = "healthy";

    /// <summary>The components the body reports, in the schema's order.</summary>
    public static IReadOnlyList<string> Components { get; } = [Metadatabase, Scheduler, DagProcessor, Triggerer];

    /// <summary>
    /// The components a body reports, in <see cref="Components"/>' order: an absent or null component is left out, one
    /// without a string status has a null <see cref="AirflowComponentHealth.Status"/>.
    /// </summary>
    /// <exception cref="JsonException">The body is not a JSON object: not Airflow's health body.</exception>
    public static IReadOnlyList<AirflowComponentHealth> Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"Airflow's health body is a JSON object; this is {body.ValueKind}.");
        }
        return Components
            .Where(name => body.TryGetProperty(name, out var component) && component.ValueKind == JsonValueKind.Object)
            .Select(name => new AirflowComponentHealth(name,
                body.GetProperty(name).TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null))
            .ToList();
    }

    /// <summary>The status <paramref name="components"/> give <paramref name="name"/>; null when absent or never ran.</summary>
    public static string? StatusOf(this IEnumerable<AirflowComponentHealth> components, string name)
        => components.FirstOrDefault(c => c.Name == name)?.Status;
}
