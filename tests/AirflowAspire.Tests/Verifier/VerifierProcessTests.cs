using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// The Verifier as a process, as the AppHost starts it: it ends within a second of its verdict even when its OTLP
/// endpoint accepts connections and never answers (what an AppHost under DistributedApplicationTestingBuilder hands it),
/// and it always replaces the previous report with its own.
/// </summary>
public sealed class VerifierProcessTests
{
    [Fact]
    public async Task The_process_ends_within_a_second_of_its_verdict_and_writes_its_report_even_when_telemetry_hangs()
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

        var start = new ProcessStartInfo("dotnet", [AppHostModel.VerifierDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ConnectionStrings__dragonfly"] = $"127.0.0.1:{broker.Port},password={broker.Password}",
                ["Verifier__Password"] = "not-used",
                ["Verifier__AirflowUrl"] = $"http://127.0.0.1:{closedPort}",
                ["Verifier__ReportPath"] = report,
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)silentOtlp.LocalEndpoint).Port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            },
        };
        using var process = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        TimeSpan? verdictAt = null;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("NOT VERIFIED", StringComparison.Ordinal) == true)
            {
                verdictAt ??= clock.Elapsed;
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
        Assert.True(exitedAt - verdictAt < TimeSpan.FromSeconds(1), $"exited {(exitedAt - verdictAt)!.Value.TotalSeconds:0.00} s after its verdict");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report, ct));
        Assert.Equal("failed", json.RootElement.GetProperty("verdict").GetString());
        Assert.False(json.RootElement.TryGetProperty("stale", out _));
        File.Delete(report);
    }
}
