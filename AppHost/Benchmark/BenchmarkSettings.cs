using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Benchmark;

/// <summary>
/// The <c>Benchmark</c> section: <c>dotnet run --project AppHost -- --Benchmark:Brokers=dragonfly,redis</c> starts the
/// brokers side by side and measures real Celery on each instead of running Airflow. Unset figures take the benchmark's
/// own defaults, which scale with the machine's cores.
/// </summary>
public sealed class BenchmarkSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Benchmark";

    /// <summary>The brokers the benchmark can start.</summary>
    public static readonly IReadOnlyList<string> KnownBrokers = ["dragonfly", "redis"];

    /// <summary>The brokers to compare, comma-separated; empty: no benchmark, the AppHost runs Airflow.</summary>
    public string Brokers { get; init; } = "";

    /// <summary>Rounds per broker, alternating between them.</summary>
    public int? Rounds { get; init; }

    /// <summary>Tasks sent per round.</summary>
    public int? TasksPerRound { get; init; }

    /// <summary>Processes publishing tasks.</summary>
    public int? Producers { get; init; }

    /// <summary>Celery worker processes.</summary>
    public int? Workers { get; init; }

    /// <summary>Tasks in flight at once for the fixed-concurrency figure.</summary>
    public int? Concurrency { get; init; }

    /// <summary>The brokers as a list.</summary>
    public IReadOnlyList<string> BrokerList => [.. Brokers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(b => b.ToLowerInvariant())];

    /// <summary>True when the AppHost runs the benchmark instead of Airflow.</summary>
    public bool Enabled => BrokerList.Count > 0;

    /// <summary>The script's flags for the figures that are set.</summary>
    public IEnumerable<string> Arguments()
    {
        foreach (var (flag, value) in new[] { ("--rounds", Rounds), ("--tasks-per-round", TasksPerRound), ("--producers", Producers),
                     ("--workers", Workers), ("--concurrency", Concurrency) })
        {
            if (value is { } set)
            {
                yield return flag;
                yield return set.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Reads and checks the section; a bad value stops the AppHost with the setting's name and the fix.</summary>
    public static BenchmarkSettings From(IConfiguration configuration)
    {
        var settings = SettingsSection.Bind<BenchmarkSettings>(configuration, SectionName);
        var brokers = settings.BrokerList;
        if (brokers.Any(b => !KnownBrokers.Contains(b)) || brokers.Distinct().Count() != brokers.Count)
        {
            throw new InvalidSettingException(SectionName, "Brokers", settings.Brokers, "distinct broker names among dragonfly and redis, e.g. dragonfly,redis");
        }
        foreach (var (key, value) in new[] { ("Rounds", settings.Rounds), ("TasksPerRound", settings.TasksPerRound), ("Producers", settings.Producers),
                     ("Workers", settings.Workers), ("Concurrency", settings.Concurrency) })
        {
            if (value is < 1)
            {
                throw new InvalidSettingException(SectionName, key, value, "a whole number of at least 1, or unset for the default");
            }
        }
        return settings;
    }
}
