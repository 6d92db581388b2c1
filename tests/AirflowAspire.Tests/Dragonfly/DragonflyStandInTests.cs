using System.Diagnostics;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Tests.Fixtures;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// The Dragonfly stand-in (<c>tests/DragonflyStandIn</c>) that the run and end-to-end tests use as
/// <c>Dragonfly:Executable</c> refuses what Dragonfly v1.40.1 refuses at start-up, and otherwise serves
/// the Redis protocol with the password from <c>DFLY_requirepass</c>, saying it is Garnet, not Dragonfly.
/// </summary>
public sealed class DragonflyStandInTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static ProcessStartInfo StandIn(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(AppHostModel.DragonflyStandIn, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return start;
    }

    private static async Task<(int ExitCode, string Errors)> RunToExitAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The stand-in did not exit within {Bound.TotalSeconds:0} s: it started although Dragonfly would not.");
        }
        return (process.ExitCode, await errors);
    }

    [Fact]
    public async Task Refuses_a_flag_it_does_not_know()
    {
        var (exitCode, errors) = await RunToExitAsync(StandIn(["--logtostderr", "--no_such_flag=1"]));

        Assert.Equal(1, exitCode);
        Assert.Contains("Unknown command line argument '--no_such_flag=1'", errors);
    }

    [Fact]
    public async Task Aborts_on_a_DFLY_variable_other_than_DFLY_requirepass()
    {
        // Dragonfly v1.40.1 aborts on DFLY_PASSWORD although its flag help still mentions it.
        var (exitCode, errors) = await RunToExitAsync(StandIn(["--logtostderr"], new Dictionary<string, string> { ["DFLY_PASSWORD"] = "x" }));

        Assert.Equal(1, exitCode);
        Assert.Contains("Unknown environment variable DFLY_PASSWORD", errors);
    }

    [Fact]
    public async Task Exits_when_maxmemory_is_below_256_MiB_per_thread()
    {
        var (exitCode, errors) = await RunToExitAsync(StandIn(["--proactor_threads=2", $"--maxmemory={256L * 1024 * 1024}"]));

        Assert.Equal(1, exitCode);
        Assert.Contains($"There are 2 threads, so {2L * 256 * 1024 * 1024} are required. Exiting...", errors);
    }

    [Fact]
    public async Task With_the_AppHosts_flags_for_kept_data_it_serves_with_the_password_and_says_it_is_not_Dragonfly()
    {
        // Snapshots on: the flags the run tests' default (snapshots off) does not send.
        var options = DragonflyServerOptionsAnnotation.Default with { SnapshotDirectory = Path.GetTempPath() };
        var port = GarnetServer.FreePort();
        using var process = Process.Start(StandIn(
            ["--logtostderr", $"--port={port}", "--bind=127.0.0.1", .. options.ToArguments()],
            new Dictionary<string, string> { ["DFLY_requirepass"] = "stand-in-password" }))!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, line) => output.Enqueue(line.Data ?? "");
        process.ErrorDataReceived += (_, line) => output.Enqueue(line.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + Bound;
            ConnectionMultiplexer? client = null;
            while (client is null)
            {
                Assert.False(process.HasExited, $"The stand-in exited ({(process.HasExited ? process.ExitCode : 0)}):\n{string.Join('\n', output)}");
                try
                {
                    client = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},password=stand-in-password,allowAdmin=true,connectTimeout=500");
                }
                catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }
            }
            await using (client)
            {
                await client.GetDatabase(1).StringSetAsync("k", "v");
                Assert.Equal("v", (string?)await client.GetDatabase(1).StringGetAsync("k"));
                var info = (await client.GetServers()[0].InfoAsync("server")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
                Assert.DoesNotContain("dragonfly_version", info.Keys);
                Assert.Contains("garnet_version", info.Keys);
            }

            await using var withoutPassword = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=false,connectTimeout=500");
            await Assert.ThrowsAnyAsync<RedisException>(() => withoutPassword.GetDatabase().PingAsync());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }
}
