using System.Text.Json.Nodes;
using System.Xml.Linq;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Benchmarks;

/// <summary>
/// The AppHost's side of the benchmark: reading and checking the script's report, its table and its chart (ScottPlot).
/// </summary>
public sealed class BrokerBenchmarkReportTests
{
    /// <summary>A report as the script writes it (trimmed of what the AppHost does not read).</summary>
    private static JsonObject Sample() => JsonNode.Parse("""
        {
          "schema": 1,
          "machine": {"cores": 2, "memory_bytes": 25275953152, "python": "3.11.2", "celery": "5.5.3", "kombu": "5.5.4"},
          "workload": {"brokers": ["dragonfly", "redis"], "rounds": 2, "tasks_per_round": 200, "warmup_tasks": 40,
                       "producers": 2, "workers": 2, "worker_concurrency": 2, "concurrency": 4, "saturation_concurrency": 16},
          "round_order": ["dragonfly", "redis", "dragonfly", "redis"],
          "brokers": [
            {"broker": "dragonfly", "server": "dragonfly", "version": "dragonfly df-v1.40.1",
             "tasks_per_second": 412.5, "tasks_per_second_at_concurrency": 371.2,
             "latency_ms": {"p50": 5.1, "p95": 9.8, "p99": 14.2, "max": 40.3, "mean": 5.9},
             "memory_bytes": 12582912, "cpu_seconds": 1.25, "notes": []},
            {"broker": "redis", "server": "redis", "version": "redis 7.0.15",
             "tasks_per_second": 398.1, "tasks_per_second_at_concurrency": 366.0,
             "latency_ms": {"p50": 5.4, "p95": 10.1, "p99": 15.0, "max": 52.7, "mean": 6.2},
             "memory_bytes": 8089208, "cpu_seconds": 1.31, "notes": []}
          ],
          "notes": []
        }
        """)!.AsObject();

    [Fact]
    public void Reads_every_required_figure_of_each_broker()
    {
        var report = BrokerBenchmarkReport.Parse(Sample().ToJsonString());

        Assert.Equal(2, report.Machine.Cores);
        Assert.Equal(4, report.Workload.Concurrency);
        var dragonfly = report.Brokers[0];
        Assert.Equal(("dragonfly", "dragonfly df-v1.40.1", 412.5, 371.2), (dragonfly.Broker, dragonfly.Version, dragonfly.TasksPerSecond, dragonfly.TasksPerSecondAtConcurrency));
        Assert.Equal(new LatencyMs(5.1, 9.8, 14.2, 40.3), dragonfly.LatencyMs);
        Assert.Equal((12582912L, 1.25), (dragonfly.MemoryBytes!.Value, dragonfly.CpuSeconds!.Value));
    }

    [Fact]
    public void The_table_has_a_line_per_broker_with_its_figures()
    {
        var table = BrokerBenchmarkReport.Parse(Sample().ToJsonString()).ToTable();

        var lines = table.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("dragonfly   dragonfly df-v1.40.1", StringComparison.Ordinal) && l.Contains("412.5") && l.Contains("40.30") && l.Contains("12.0") && l.Contains("1.25"));
        Assert.Contains(lines, l => l.StartsWith("redis       redis 7.0.15", StringComparison.Ordinal) && l.Contains("398.1") && l.Contains("52.70"));
        Assert.Contains("tasks/s @4", table);
        Assert.Contains("at saturation (16 in flight)", table);
    }

    [Fact]
    public void Render_writes_an_svg_chart_beside_the_report_and_returns_the_table()
    {
        using var folder = new TemporaryFolder();
        var json = Path.Combine(folder.Path, BrokerBenchmark.ReportFileName);
        File.WriteAllText(json, Sample().ToJsonString());

        var table = BrokerBenchmark.Render(json);

        var chart = Path.Combine(folder.Path, "broker-benchmark.svg");
        Assert.Equal(chart, BrokerBenchmark.ChartPath(json));
        var svg = XDocument.Load(chart);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        // Both brokers are in the legend, the groups on the axes, and there is a bar per broker and figure (6 each).
        var text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
        Assert.Contains("dragonfly (dragonfly df-v1.40.1)", text);
        Assert.Contains("redis (redis 7.0.15)", text);
        Assert.Contains("p99", text);
        Assert.Contains("saturation (16 in flight)", text);
        Assert.Contains("dragonfly", table);
        Assert.Contains("redis", table);
    }

    [Theory]
    [InlineData("brokers.1.tasks_per_second", "0", "brokers[1].tasks_per_second: not a positive number")]
    [InlineData("brokers.0.latency_ms.p99", "null", "brokers[0].latency_ms.p99: not a positive number")]
    [InlineData("brokers.0.latency_ms.p95", "100", "brokers[0].latency_ms: p50 <= p95 <= p99 <= max does not hold")]
    [InlineData("brokers.0.version", "\"\"", "brokers[0].version: not a non-empty string")]
    [InlineData("brokers.1.memory_bytes", "-5", "brokers[1].memory_bytes: not a positive whole number")]
    [InlineData("brokers.1.cpu_seconds", "0", "brokers[1].cpu_seconds: not a positive number")]
    [InlineData("machine.cores", "0", "machine.cores: not a positive whole number")]
    [InlineData("round_order", "[\"dragonfly\", \"dragonfly\", \"redis\", \"redis\"]",
        "round_order: dragonfly, dragonfly, redis, redis is not 2 alternating rounds of dragonfly, redis")]
    public void A_report_without_a_figure_a_run_must_have_measured_is_refused_naming_the_field(string path, string value, string message)
    {
        var report = Sample();
        Set(report, path, JsonNode.Parse(value));

        var error = Assert.Throws<InvalidDataException>(() => BrokerBenchmarkReport.Parse(report.ToJsonString()));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_missing_field_or_a_file_that_is_not_json_is_refused_naming_the_field_and_the_path()
    {
        var report = Sample();
        report["brokers"]![1]!.AsObject().Remove("latency_ms");
        Assert.Equal("brokers[1].latency_ms: missing",
            Assert.Throws<InvalidDataException>(() => BrokerBenchmarkReport.Parse(report.ToJsonString())).Message);

        using var folder = new TemporaryFolder();
        var json = Path.Combine(folder.Path, BrokerBenchmark.ReportFileName);
        File.WriteAllText(json, "{ half a report");
        Assert.StartsWith($"{json}: not JSON:", Assert.Throws<InvalidDataException>(() => BrokerBenchmark.Render(json)).Message);
        Assert.False(File.Exists(BrokerBenchmark.ChartPath(json)));
    }

    [Fact]
    public void A_broker_whose_server_reports_no_CPU_time_is_read_with_none_and_its_note()
    {
        // Garnet (the tests' stand-in) has no INFO cpu section; the script writes null and says why.
        var report = Sample();
        report["brokers"]![0]!["cpu_seconds"] = null;
        report["brokers"]![0]!["notes"] = new JsonArray("garnet 2.2.8 has no INFO cpu section: no CPU time");

        var parsed = BrokerBenchmarkReport.Parse(report.ToJsonString());

        Assert.Null(parsed.Brokers[0].CpuSeconds);
        Assert.Contains("dragonfly: garnet 2.2.8 has no INFO cpu section: no CPU time", parsed.ToTable());
        Assert.Contains(parsed.ToTable().Split('\n'), l => l.StartsWith("dragonfly ", StringComparison.Ordinal) && l.TrimEnd().EndsWith("n/a", StringComparison.Ordinal));
    }

    /// <summary>Sets the value at a dotted path (numbers index lists).</summary>
    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out var index) ? node[index]! : node[part]!;
        }
        node[parts[^1]] = value;
    }
}
