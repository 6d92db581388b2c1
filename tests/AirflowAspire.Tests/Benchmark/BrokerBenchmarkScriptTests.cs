using System.Diagnostics;
using System.Text.Json.Nodes;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Benchmarks;

/// <summary>
/// The benchmark script (AppHost/Benchmark/broker_benchmark.py) run for real with Debian's Celery: real workers and
/// producers against two real servers started here (Debian's redis-server), on the small workload a CI run uses.
/// </summary>
public sealed class BrokerBenchmarkScriptTests
{
    private static readonly string Script = BrokerBenchmark.ScriptPath(AppHostModel.AppHostDirectory);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Measures_both_brokers_in_alternating_rounds_without_showing_a_password()
    {
        DebianPrerequisites.Require();
        if (!File.Exists(ServerProcess.RedisServer))
        {
            Assert.Skip($"Needs {ServerProcess.RedisServer} (Debian's redis-server): run tests/install-prerequisites.sh (as root; CI's .ci/run does).");
        }
        var dragonflyPassword = $"df-{Guid.NewGuid():N}";
        var redisPassword = $"rs-{Guid.NewGuid():N}";
        // Two redis-servers, not Garnet: under the benchmark's load the Garnet stand-in now and then leaves a task
        // unfinished for longer than any bound (a worker stuck storing its result; Garnet also stops a publisher
        // while a subscriber lags, where Redis buffers), which would make this test fail at random.
        using var dragonfly = await ServerProcess.StartRedisServerAsync(dragonflyPassword);
        using var redis = await ServerProcess.StartRedisServerAsync(redisPassword);
        using var folder = new TemporaryFolder();
        var output = Path.Combine(folder.Path, ".airflow", BrokerBenchmark.ReportFileName);

        var run = await RunAsync(Environment(("dragonfly", dragonfly), ("redis", redis)),
            "--brokers", "dragonfly,redis", "--rounds", "2", "--tasks-per-round", "200", "--timeout", "30", "--output", output);

        Assert.True(run.ExitCode == 0, run.Output);
        var json = await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken);
        foreach (var password in new[] { dragonflyPassword, redisPassword })
        {
            Assert.DoesNotContain(password, run.Output);
            Assert.DoesNotContain(password, json);
        }
        Assert.Empty(WorkersOf(run.ProcessId));

        // Load checks every required figure is there and positive, and that the rounds alternated.
        var report = BrokerBenchmarkReport.Load(output);
        Assert.Equal(["dragonfly", "redis"], report.Brokers.Select(b => b.Broker));
        Assert.Equal(["dragonfly", "redis", "dragonfly", "redis"], report.RoundOrder);
        var document = JsonNode.Parse(json)!;
        Assert.Equal(["dragonfly", "redis", "dragonfly", "redis"], document["rounds"]!.AsArray().Select(r => (string)r!["broker"]!));
        Assert.Equal([1, 1, 2, 2], document["rounds"]!.AsArray().Select(r => (int)r!["round"]!));
        // Two phases (fixed concurrency, saturation) of 200 tasks in each of two rounds.
        Assert.Equal(800, (int)document["brokers"]![0]!["tasks"]!);
        Assert.True(report.Machine.Cores > 0);
        Assert.All(report.Brokers, b =>
        {
            Assert.StartsWith("redis ", b.Version);
            Assert.True(b.MemoryBytes > 0, b.Broker);
            Assert.True(b.CpuSeconds > 0, b.Broker);
        });

        // The table at the end of the run's log names both brokers and their versions.
        Assert.Contains("dragonfly   redis ", run.Output);
        Assert.Contains("redis       redis ", run.Output);
    }

    [Fact]
    public async Task A_wrong_password_fails_at_once_naming_the_broker_and_never_the_password()
    {
        DebianPrerequisites.Require();
        var redisPassword = $"rs-{Guid.NewGuid():N}";
        using var dragonfly = new GarnetBenchmarkServer($"df-{Guid.NewGuid():N}");
        using var redis = new GarnetBenchmarkServer(redisPassword);
        var wrong = $"wrong-{Guid.NewGuid():N}";
        using var folder = new TemporaryFolder();
        var output = Path.Combine(folder.Path, BrokerBenchmark.ReportFileName);
        var environment = Environment(("dragonfly", dragonfly), ("redis", redis));
        environment[BrokerBenchmark.BrokerUrlVariable("redis")] = environment[BrokerBenchmark.BrokerUrlVariable("redis")]
            .Replace(redisPassword, wrong, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        var run = await RunAsync(environment, "--rounds", "1", "--tasks-per-round", "10", "--timeout", "10", "--output", output);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("broker-benchmark: redis: cannot connect to 127.0.0.1:", line);
        Assert.Contains("(BENCH_REDIS_BROKER_URL): wrong or missing password", line);
        Assert.DoesNotContain(wrong, run.Output);
        Assert.DoesNotContain(redisPassword, run.Output);
        Assert.False(File.Exists(output));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    private static Dictionary<string, string> Environment(params (string Name, IBenchmarkServer Server)[] brokers)
        => brokers.SelectMany(b => new[]
        {
            KeyValuePair.Create(BrokerBenchmark.BrokerUrlVariable(b.Name), b.Server.CeleryUrl(0)),
            KeyValuePair.Create(BrokerBenchmark.ResultBackendUrlVariable(b.Name), b.Server.CeleryUrl(1)),
        }).ToDictionary();

    /// <summary>Celery workers the run started (their node names carry the script's process id) that still run.</summary>
    private static List<string> WorkersOf(int scriptProcessId)
        => [.. Directory.EnumerateDirectories("/proc")
            .Select(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
            .Where(c => c.Contains("celery", StringComparison.Ordinal) && c.Contains($"-{scriptProcessId}@", StringComparison.Ordinal))];

    private sealed record Run(int ProcessId, int ExitCode, string Standard, string Errors)
    {
        public string Output => $"{Standard}\n{Errors}";
    }

    private static async Task<Run> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(DebianPrerequisites.Python, [Script, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var standard = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The benchmark did not finish within {Bound.TotalSeconds:0} s:\n{await standard}\n{await errors}");
        }
        return new Run(process.Id, process.ExitCode, await standard, await errors);
    }
}
