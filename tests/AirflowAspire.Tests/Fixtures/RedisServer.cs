using System.Diagnostics;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// Debian's redis-server on a free loopback port with a password and no persistence, for tests that
/// need a broker real Celery workers accept. Call <see cref="DebianPrerequisites.Require"/> first.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port, string password)
    {
        _process = process;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>StackExchange.Redis form, as the AppHost's Dragonfly connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    /// <summary>Celery's form for one database.</summary>
    public string CeleryUrl(int database) => $"redis://:{Password}@127.0.0.1:{Port}/{database}";

    public static async Task<RedisServer> StartAsync(string password = "test-broker-password")
    {
        var port = GarnetServer.FreePort();
        var process = Process.Start(new ProcessStartInfo(DebianPrerequisites.RedisServer,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port, password);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
                await client.GetDatabase().PingAsync();
                return server;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
