namespace AirflowAspire.AppHost.StartFailures;

/// <summary>
/// What a resource whose start failures are explained is, in the words of its explanations: the product, the settings that
/// choose it, and what a user can run instead of it.
/// </summary>
/// <param name="Product">The product's name, as a user knows it: <c>Dragonfly</c>, <c>Redis</c>, <c>PostgreSQL</c>.</param>
/// <param name="Section">The configuration section of its settings (<c>Section:Image</c>, <c>Section:Executable</c>, ...).</param>
/// <param name="WithoutContainer">
/// What a user without a working container engine can do instead, as the end of a sentence: <c>run a local Dragonfly binary
/// instead: dotnet run ...</c>.
/// </param>
public sealed record StartFailureSubject(string Product, string Section, string WithoutContainer)
{
    /// <summary>Dragonfly, the default broker: a container, or a local binary with <c>Dragonfly:Executable</c>.</summary>
    public static StartFailureSubject Dragonfly { get; } = new("Dragonfly", "Dragonfly",
        "run a local Dragonfly binary instead: dotnet run --project AppHost -- --Dragonfly:Executable=/path/to/dragonfly");

    /// <summary>Redis, the broker with <c>Airflow:Broker=redis</c>: a container, or a local binary with <c>Redis:Executable</c>.</summary>
    public static StartFailureSubject Redis { get; } = new("Redis", "Redis",
        "run a local redis-server instead: dotnet run --project AppHost -- --Airflow:Broker=redis --Redis:Executable=/usr/bin/redis-server");

    /// <summary>PostgreSQL, Airflow's metadata database with <c>Airflow:Database=postgres</c>: always a container.</summary>
    public static StartFailureSubject PostgreSql { get; } = new("PostgreSQL", "Postgres",
        "keep Airflow's metadata in SQLite, which needs no engine: leave Airflow:Database unset (sqlite)");
}
