using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// The Verifier as a process, as the AppHost starts it: it ends promptly after its verdict even when its OTLP
/// endpoint accepts connections and never answers (what an AppHost under DistributedApplicationTestingBuilder hands it),
/// and it always replaces the previous report with its own; it reads its broker from the connection string and the
/// Celery URLs the AppHost passes, never writes their password, and exits 2 when it lacks them.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class VerifierProcessTests
{
    private static ProcessStartInfo Verifier(IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet", [AppHostModel.VerifierDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return start;
    }

    /// <summary>Runs the Verifier to its end (bounded) and returns its exit code and every line it wrote.</summary>
    private static async Task<(int ExitCode, List<string> Output)> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var output = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task Started_without_a_broker_connection_string_it_exits_2_naming_the_one_the_AppHost_passes()
    {
        var (exitCode, output) = await RunAsync(Verifier(new Dictionary<string, string?> { ["Verifier__Password"] = "not-used" }));

        Assert.Equal(2, exitCode);
        Assert.Contains(output, line => line.Contains("ConnectionStrings__broker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_broker_URL_that_is_not_one_exits_2_without_writing_its_password()
    {
        // ConnectionStrings__dragonfly: what an AppHost passed before the connection was called broker.
        var (exitCode, output) = await RunAsync(Verifier(new Dictionary<string, string?>
        {
            ["ConnectionStrings__dragonfly"] = $"127.0.0.1:{GarnetServer.FreePort()},password=BrokerPassw0rdNeverLogged",
            ["Verifier__Password"] = "not-used",
            ["Verifier__BrokerUrl"] = "redis://:BrokerPassw0rdNeverLogged@127.0.0.1:6379/zero",
        }));

        Assert.Equal(2, exitCode);
        Assert.Contains(output, line => line.Contains("Verifier:BrokerUrl", StringComparison.Ordinal));
        Assert.Contains(output, line => line.Contains("redis://***@127.0.0.1:6379/zero", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.Contains("BrokerPassw0rdNeverLogged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expected_broker_it_cannot_check_exits_2_naming_the_setting()
    {
        var (exitCode, output) = await RunAsync(Verifier(new Dictionary<string, string?>
        {
            ["ConnectionStrings__broker"] = $"127.0.0.1:{GarnetServer.FreePort()},password=x",
            ["Verifier__Password"] = "not-used",
            ["Verifier__ExpectedBroker"] = "kafka",
        }));

        Assert.Equal(2, exitCode);
        Assert.Contains(output, line => line.Contains("Verifier:ExpectedBroker is 'kafka'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conf_that_is_not_JSON_exits_2_naming_the_setting()
    {
        var (exitCode, output) = await RunAsync(Verifier(new Dictionary<string, string?>
        {
            ["ConnectionStrings__broker"] = $"127.0.0.1:{GarnetServer.FreePort()},password=x",
            ["Verifier__Password"] = "not-used",
            ["Verifier__Dags"] = "inventory_sync",
            ["Verifier__Conf__inventory_sync"] = "{items: 5",
        }));

        Assert.Equal(2, exitCode);
        Assert.Contains(output, line => line.Contains("Verifier:Conf:inventory_sync is not JSON", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Information", true)]
    public async Task HttpClients_per_request_lines_stay_out_of_its_log_unless_the_configuration_asks_for_them(string? level, bool shown)
    {
        using var broker = new GarnetServer("broker-password");
        // Nothing listens here: every request of the first step is refused, after HttpClient has logged it (four lines each).
        var closedPort = GarnetServer.FreePort();
        var (exitCode, output) = await RunAsync(Verifier(new Dictionary<string, string?>
        {
            ["ConnectionStrings__broker"] = $"127.0.0.1:{broker.Port},password={broker.Password}",
            ["Verifier__Password"] = "not-used",
            ["Verifier__AirflowUrl"] = $"http://127.0.0.1:{closedPort}",
            // It waits for an api-server still starting up to this bound, then fails the step.
            ["Verifier__HealthTimeout"] = "00:00:02",
            ["Verifier__ReportPath"] = Path.Combine(Path.GetTempPath(), $"verifier-report-{Guid.NewGuid():N}.json"),
            ["Logging__LogLevel__System.Net.Http.HttpClient"] = level,
        }));

        Assert.Equal(1, exitCode);
        // Its own lines: the step that failed and the verdict.
        Assert.Contains(output, line => line.Contains("NOT VERIFIED", StringComparison.Ordinal));
        Assert.Equal(shown, output.Any(line => line.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_process_ends_promptly_after_its_verdict_and_writes_its_report_even_when_telemetry_hangs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var broker = new GarnetServer("broker-password");
        // An OTLP endpoint that accepts and never answers: the exporters wait out their own timeouts on it.
        using var silentOtlp = new TcpListener(IPAddress.Loopback, 0);
        silentOtlp.Start(backlog: 64);
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                accepted.Add(await silentOtlp.AcceptSocketAsync(ct));
            }
        }, ct);
        // Nothing listens here: the api step fails (after the resilience handler's retries) and so does the verdict.
        var closedPort = GarnetServer.FreePort();
        var report = Path.Combine(Path.GetTempPath(), $"verifier-report-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(report, """{"verdict": "passed", "stale": true}""", ct);

        // As the AppHost starts it: the connection string 'broker' and the Celery URLs, each with the broker's password.
        var start = Verifier(new Dictionary<string, string?>
        {
            ["ConnectionStrings__broker"] = $"127.0.0.1:{broker.Port},password={broker.Password}",
            ["Verifier__BrokerUrl"] = $"redis://:{broker.Password}@127.0.0.1:{broker.Port}/0",
            ["Verifier__ResultBackendUrl"] = $"redis://:{broker.Password}@127.0.0.1:{broker.Port}/1",
            ["Verifier__Password"] = "not-used",
            ["Verifier__AirflowUrl"] = $"http://127.0.0.1:{closedPort}",
            // It waits for an api-server still starting up to this bound, then fails the step.
            ["Verifier__HealthTimeout"] = "00:00:02",
            ["Verifier__ReportPath"] = report,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)silentOtlp.LocalEndpoint).Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        });
        using var process = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        TimeSpan? verdictAt = null;
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("NOT VERIFIED", StringComparison.Ordinal) == true)
            {
                verdictAt ??= clock.Elapsed;
            }
            if (e.Data is { } line)
            {
                lock (output)
                {
                    output.Add(line);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        var exitedAt = clock.Elapsed;

        Assert.Equal(1, process.ExitCode);
        Assert.NotNull(verdictAt);
        // The goal is within a second (README); the test's bound keeps a wide margin for a loaded machine and still fails the
        // former 16 s lag (an OTLP flush waiting out its timeouts).
        Assert.True(exitedAt - verdictAt < TimeSpan.FromSeconds(5), $"exited {(exitedAt - verdictAt)!.Value.TotalSeconds:0.00} s after its verdict");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report, ct));
        Assert.Equal("failed", json.RootElement.GetProperty("verdict").GetString());
        Assert.False(json.RootElement.TryGetProperty("stale", out _));
        // It reached the broker through the connection string (INFO answered: Garnet), and wrote its URLs masked.
        Assert.StartsWith("Garnet", json.RootElement.GetProperty("broker").GetString());
        Assert.Contains(output, line => line.Contains($"redis://:***@127.0.0.1:{broker.Port}/1", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.Contains(broker.Password, StringComparison.Ordinal));
        File.Delete(report);
    }
}
