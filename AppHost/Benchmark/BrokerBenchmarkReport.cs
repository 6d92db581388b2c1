using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AirflowAspire.AppHost.Benchmark;

/// <summary>
/// The broker benchmark's report, as <c>Benchmark/broker_benchmark.py</c> writes it (<c>.airflow/broker-benchmark.json</c>):
/// the machine, the workload, the order the rounds ran in and one entry per broker. <see cref="Parse"/> checks what
/// the issue requires of it, so a chart or table is never made from a report that lacks a figure or has a zero
/// where the run must have measured something.
/// </summary>
/// <param name="Machine">Where the benchmark ran.</param>
/// <param name="Workload">The settings the run used.</param>
/// <param name="RoundOrder">The brokers in the order their rounds ran: they alternate, round after round.</param>
/// <param name="Brokers">One entry per broker, in the order of <see cref="BenchmarkWorkload.Brokers"/>.</param>
/// <param name="Notes">What a reader must know to read the figures (for example a client-library workaround).</param>
public sealed record BrokerBenchmarkReport(
    BenchmarkMachine Machine,
    BenchmarkWorkload Workload,
    IReadOnlyList<string> RoundOrder,
    IReadOnlyList<BrokerResult> Brokers,
    IReadOnlyList<string> Notes)
{
    /// <summary>Reads and checks the report at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON or lacks a figure; the message names the path and the field.</exception>
    public static BrokerBenchmarkReport Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{path}: {error.Message}", error);
        }
    }

    /// <summary>Reads and checks a report's JSON text.</summary>
    /// <exception cref="InvalidDataException">The text is not JSON or lacks a figure; the message names the field.</exception>
    public static BrokerBenchmarkReport Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"not JSON: {error.Message}", error);
        }
        using (document)
        {
            var root = new Field(document.RootElement, "");
            var machine = root.Object("machine");
            var workload = root.Object("workload");
            var report = new BrokerBenchmarkReport(
                new BenchmarkMachine(machine.PositiveInteger("cores"), machine.OptionalPositiveLong("memory_bytes"),
                    machine.Text("python"), machine.Text("celery"), machine.Text("kombu")),
                new BenchmarkWorkload(workload.Texts("brokers"), workload.PositiveInteger("rounds"),
                    workload.PositiveInteger("tasks_per_round"), workload.PositiveInteger("producers"),
                    workload.PositiveInteger("workers"), workload.PositiveInteger("worker_concurrency"),
                    workload.PositiveInteger("concurrency"), workload.PositiveInteger("saturation_concurrency")),
                root.Texts("round_order"),
                [.. root.Objects("brokers").Select(ReadBroker)],
                root.OptionalTexts("notes"));
            report.CheckConsistency();
            return report;
        }
    }

    /// <summary>The figures as a plain-text table, one line per broker, for the benchmark resource's log.</summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        var at = $"tasks/s @{Workload.Concurrency}";
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Broker benchmark: {Machine.Cores} cores; {Workload.Rounds} rounds per broker, alternating; " +
                                  $"{Workload.TasksPerRound} tasks per phase; {Workload.Producers} producers; {Workload.Workers} workers x " +
                                  $"{Workload.WorkerConcurrency} processes per broker; Celery {Machine.Celery}, kombu {Machine.Kombu}"));
        text.AppendLine($"{"broker",-12}{"version",-24}{"tasks/s",9}{at,13}{"p50 ms",9}{"p95 ms",9}{"p99 ms",9}{"max ms",9}{"memory MiB",12}{"CPU s",8}");
        foreach (var broker in Brokers)
        {
            var version = broker.Version.Length > 23 ? broker.Version[..23] : broker.Version;
            var memory = broker.MemoryBytes is { } bytes ? (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) : "n/a";
            var cpu = broker.CpuSeconds is { } seconds ? seconds.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{broker.Broker,-12}{version,-24}{broker.TasksPerSecond,9:0.0}{broker.TasksPerSecondAtConcurrency,13:0.0}" +
                                      $"{broker.LatencyMs.P50,9:0.00}{broker.LatencyMs.P95,9:0.00}{broker.LatencyMs.P99,9:0.00}{broker.LatencyMs.Max,9:0.00}" +
                                      $"{memory,12}{cpu,8}"));
        }
        text.AppendLine($"tasks/s: at saturation ({Workload.SaturationConcurrency} in flight); tasks/s @N: N tasks in flight; " +
                        "latency (publish to result stored): at fixed concurrency; memory: peak during the broker's rounds; CPU: the broker's, over its rounds.");
        foreach (var broker in Brokers)
        {
            foreach (var note in broker.Notes)
            {
                text.AppendLine($"{broker.Broker}: {note}");
            }
        }
        foreach (var note in Notes)
        {
            text.AppendLine(note);
        }
        return text.ToString().TrimEnd();
    }

    private static BrokerResult ReadBroker(Field entry)
    {
        var latency = entry.Object("latency_ms");
        var result = new BrokerResult(entry.Text("broker"), entry.Text("version"), entry.PositiveNumber("tasks_per_second"),
            entry.PositiveNumber("tasks_per_second_at_concurrency"),
            new LatencyMs(latency.PositiveNumber("p50"), latency.PositiveNumber("p95"), latency.PositiveNumber("p99"), latency.PositiveNumber("max")),
            entry.OptionalPositiveLong("memory_bytes"), entry.OptionalPositiveNumber("cpu_seconds"), entry.OptionalTexts("notes"));
        if (!(result.LatencyMs.P50 <= result.LatencyMs.P95 && result.LatencyMs.P95 <= result.LatencyMs.P99 && result.LatencyMs.P99 <= result.LatencyMs.Max))
        {
            throw new InvalidDataException($"{latency.Path}: p50 <= p95 <= p99 <= max does not hold");
        }
        return result;
    }

    private void CheckConsistency()
    {
        if (Brokers.Count == 0)
        {
            throw new InvalidDataException("brokers: no broker");
        }
        var names = Brokers.Select(b => b.Broker).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new InvalidDataException($"brokers: a broker appears twice ({string.Join(", ", names)})");
        }
        if (!names.SequenceEqual(Workload.Brokers, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"brokers: {string.Join(", ", names)} are not workload.brokers ({string.Join(", ", Workload.Brokers)})");
        }
        // Alternating: round 1 of each broker in turn, then round 2 of each, and so on.
        var expected = Enumerable.Range(0, Workload.Rounds).SelectMany(_ => names).ToList();
        if (!RoundOrder.SequenceEqual(expected, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"round_order: {string.Join(", ", RoundOrder)} is not {Workload.Rounds} alternating rounds of {string.Join(", ", names)}");
        }
    }

    /// <summary>One JSON value and where it is in the report, for messages that name the field.</summary>
    private readonly record struct Field(JsonElement Value, string Path)
    {
        private Field Child(string name)
        {
            var path = Path.Length == 0 ? name : $"{Path}.{name}";
            if (Value.ValueKind != JsonValueKind.Object || !Value.TryGetProperty(name, out var child))
            {
                throw new InvalidDataException($"{path}: missing");
            }
            return new Field(child, path);
        }

        private Field? OptionalChild(string name)
        {
            var path = Path.Length == 0 ? name : $"{Path}.{name}";
            return Value.ValueKind == JsonValueKind.Object && Value.TryGetProperty(name, out var child) && child.ValueKind != JsonValueKind.Null
                ? new Field(child, path)
                : null;
        }

        public Field Object(string name)
        {
            var child = Child(name);
            return child.Value.ValueKind == JsonValueKind.Object ? child : throw new InvalidDataException($"{child.Path}: not an object");
        }

        public IEnumerable<Field> Objects(string name)
        {
            var child = Child(name);
            if (child.Value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{child.Path}: not a list");
            }
            var index = 0;
            foreach (var item in child.Value.EnumerateArray())
            {
                var field = new Field(item, $"{child.Path}[{index++}]");
                yield return item.ValueKind == JsonValueKind.Object ? field : throw new InvalidDataException($"{field.Path}: not an object");
            }
        }

        public string Text(string name)
        {
            var child = Child(name);
            return child.Value.ValueKind == JsonValueKind.String && child.Value.GetString() is { Length: > 0 } text
                ? text
                : throw new InvalidDataException($"{child.Path}: not a non-empty string");
        }

        public IReadOnlyList<string> Texts(string name) => ReadTexts(Child(name));

        public IReadOnlyList<string> OptionalTexts(string name) => OptionalChild(name) is { } child ? ReadTexts(child) : [];

        private static List<string> ReadTexts(Field field)
        {
            if (field.Value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{field.Path}: not a list");
            }
            return [.. field.Value.EnumerateArray().Select((item, index) => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new InvalidDataException($"{field.Path}[{index}]: not a string"))];
        }

        public int PositiveInteger(string name)
        {
            var child = Child(name);
            return child.Value.ValueKind == JsonValueKind.Number && child.Value.TryGetInt32(out var value) && value > 0
                ? value
                : throw new InvalidDataException($"{child.Path}: not a positive whole number");
        }

        public double PositiveNumber(string name) => Positive(Child(name));

        public double? OptionalPositiveNumber(string name) => OptionalChild(name) is { } child ? Positive(child) : null;

        public long? OptionalPositiveLong(string name)
        {
            if (OptionalChild(name) is not { } child)
            {
                return null;
            }
            return child.Value.ValueKind == JsonValueKind.Number && child.Value.TryGetInt64(out var value) && value > 0
                ? value
                : throw new InvalidDataException($"{child.Path}: not a positive whole number");
        }

        private static double Positive(Field field) =>
            field.Value.ValueKind == JsonValueKind.Number && field.Value.GetDouble() is var value && value > 0 && double.IsFinite(value)
                ? value
                : throw new InvalidDataException($"{field.Path}: not a positive number");
    }
}

/// <summary>The machine the benchmark ran on.</summary>
/// <param name="Cores">The cores the benchmark could use.</param>
/// <param name="MemoryBytes">The machine's memory, when the platform tells it.</param>
/// <param name="Python">The Python that ran the benchmark (the Airflow environment's).</param>
/// <param name="Celery">Celery's version.</param>
/// <param name="Kombu">Kombu's version.</param>
public sealed record BenchmarkMachine(int Cores, long? MemoryBytes, string Python, string Celery, string Kombu);

/// <summary>The settings of the run.</summary>
/// <param name="Brokers">The broker names, in the order each round visits them.</param>
/// <param name="Rounds">Measured rounds per broker.</param>
/// <param name="TasksPerRound">Tasks in each phase of a round.</param>
/// <param name="Producers">Producer processes.</param>
/// <param name="Workers">Celery worker processes per broker.</param>
/// <param name="WorkerConcurrency">Prefork pool processes per worker.</param>
/// <param name="Concurrency">Tasks in flight in the fixed-concurrency phase.</param>
/// <param name="SaturationConcurrency">Tasks in flight in the saturation phase: several times what the workers run at once.</param>
public sealed record BenchmarkWorkload(IReadOnlyList<string> Brokers, int Rounds, int TasksPerRound, int Producers, int Workers,
    int WorkerConcurrency, int Concurrency, int SaturationConcurrency);

/// <summary>One broker's figures over all its rounds.</summary>
/// <param name="Broker">The broker's name in the run (<c>dragonfly</c>, <c>redis</c>).</param>
/// <param name="Version">What the server says it is, for example <c>redis 7.0.15</c> (a stand-in says what it is).</param>
/// <param name="TasksPerSecond">Tasks per second at saturation (<see cref="BenchmarkWorkload.SaturationConcurrency"/> tasks in flight).</param>
/// <param name="TasksPerSecondAtConcurrency">Tasks per second with <see cref="BenchmarkWorkload.Concurrency"/> tasks in flight.</param>
/// <param name="LatencyMs">Publish to result stored, at the fixed concurrency.</param>
/// <param name="MemoryBytes">The broker's peak memory during its rounds; null when the server reports none.</param>
/// <param name="CpuSeconds">The broker's CPU time over its rounds; null when the server reports none.</param>
/// <param name="Notes">What qualifies this broker's figures.</param>
public sealed record BrokerResult(string Broker, string Version, double TasksPerSecond, double TasksPerSecondAtConcurrency,
    LatencyMs LatencyMs, long? MemoryBytes, double? CpuSeconds, IReadOnlyList<string> Notes);

/// <summary>Latency percentiles, in milliseconds.</summary>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Slowest task.</param>
public sealed record LatencyMs(double P50, double P95, double P99, double Max);
