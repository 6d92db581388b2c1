using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Benchmarks;

/// <summary>
/// <c>dotnet run --project AppHost -- --Benchmark:Brokers=dragonfly,redis</c>, as CI can run it: the Dragonfly stand-in and
/// Debian's redis-server as local binaries, Celery from the Airflow environment (the stand-in's, on /usr/bin/python3), a
/// small workload. No Airflow process starts; the report names both brokers with positive figures, the chart exists, and
/// the table is in the benchmark resource's log.
/// </summary>
public sealed class BrokerBenchmarkAppHostTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Both_brokers_start_side_by_side_and_the_report_chart_and_table_name_both()
    {
        DebianPrerequisites.RequireRedisServer();
        using var standIn = AirflowStandIn.Create();
        var report = Path.Combine(standIn.Folder, "broker-benchmark.json");

        await using var app = await RunningAppHost.StartAsync(Bound,
        [
            .. standIn.AppHostArguments,
            $"--Redis:Executable={DebianPrerequisites.RedisServer}",
            "--Benchmark:Brokers=dragonfly,redis",
            "--Benchmark:Rounds=1", "--Benchmark:TasksPerRound=60", "--Benchmark:Producers=1", "--Benchmark:Workers=1",
        ]);
        var ended = await app.WaitForStateAsync("broker-benchmark", Bound, "Finished", "Exited", "FailedToStart");
        // The table is logged once the report is read: the last line names the chart.
        await app.WaitForLogAsync("broker-benchmark", "chart:", TimeSpan.FromSeconds(30));

        Assert.True(ended.Snapshot.ExitCode == 0, string.Join('\n', app.Log("broker-benchmark")));
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.DoesNotContain(model.Resources, r => r.Name is "airflow-api" or "airflow-scheduler" or "airflow-worker-1" or "verifier");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken));
        var brokers = json.RootElement.GetProperty("brokers").EnumerateArray().ToList();
        Assert.Equal(["dragonfly", "redis"], brokers.Select(b => b.GetProperty("broker").GetString()));
        Assert.All(brokers, b =>
        {
            Assert.True(b.GetProperty("tasks_per_second").GetDouble() > 0);
            Assert.True(b.GetProperty("latency_ms").GetProperty("p50").GetDouble() > 0);
            Assert.True(b.GetProperty("memory_bytes").GetInt64() > 0);
        });
        Assert.True(new FileInfo(Path.ChangeExtension(report, ".svg")).Length > 0, "no chart beside the report");
        var log = app.Log("broker-benchmark");
        Assert.Contains(log, line => line.Contains("dragonfly", StringComparison.Ordinal));
        Assert.Contains(log, line => line.Contains("redis", StringComparison.Ordinal));
        // The brokers' passwords reach the script as environment variables only.
        var passwords = await Task.WhenAll(model.Resources.OfType<ParameterResource>().Where(p => p.Secret)
            .Select(async p => await p.GetValueAsync(TestContext.Current.CancellationToken)));
        Assert.DoesNotContain(log, line => passwords.Any(p => p is { Length: > 0 } && line.Contains(p, StringComparison.Ordinal)));
    }
}
