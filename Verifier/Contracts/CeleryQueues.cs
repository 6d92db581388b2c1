namespace AirflowAspire.Contracts;

/// <summary>Celery's queue lists, as <c>celery worker --queues</c> and <c>Airflow:Queues</c> take them.</summary>
public static class CeleryQueues
{
    /// <summary>The queues of a comma-separated list, each trimmed, empty entries dropped.</summary>
    public static IReadOnlyList<string> Parse(string? queues)
        => (queues ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
