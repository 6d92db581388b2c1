using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Benchmarks; // Not ".Benchmark": that would hide the Verifier's Benchmark class from the Verifier tests.

/// <summary>A Redis-protocol server the benchmark test points the script at, by Celery URL.</summary>
public interface IBenchmarkServer : IDisposable
{
    /// <summary>Celery's form for one database, with the password.</summary>
    string CeleryUrl(int database);
}

/// <summary>The in-process Garnet fixture as a benchmark server.</summary>
public sealed class GarnetBenchmarkServer(string password) : IBenchmarkServer
{
    private readonly GarnetServer _server = new(password);

    /// <inheritdoc />
    public string CeleryUrl(int database) => _server.CeleryUrl(database);

    /// <inheritdoc />
    public void Dispose() => _server.Dispose();
}

/// <summary>A server process (Debian's redis-server) on a free loopback port, stopped with the test.</summary>
public sealed class ServerProcess : IBenchmarkServer
{
    /// <summary>Debian's Redis server (tests/install-prerequisites.sh installs it).</summary>
    public const string RedisServer = "/usr/bin/redis-server";

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _password;
    private readonly int _port;

    private ServerProcess(Process process, string password, int port)
    {
        _process = process;
        _password = password;
        _port = port;
    }

    /// <inheritdoc />
    public string CeleryUrl(int database) => $"redis://:{_password}@127.0.0.1:{_port}/{database}";

    /// <summary>Debian's redis-server, its configuration (password included) on standard input, not the command line.</summary>
    public static Task<ServerProcess> StartRedisServerAsync(string password)
    {
        var port = GarnetServer.FreePort();
        var configuration = $"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\nappendonly no\n";
        return StartAsync(new ProcessStartInfo(RedisServer, ["-"]), password, port, configuration);
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo start, string password, int port, string? configuration)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = configuration is not null;
        var server = new ServerProcess(new Process { StartInfo = start }, password, port);
        server._process.OutputDataReceived += (_, line) => { if (line.Data is not null) server._output.Enqueue(line.Data); };
        server._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) server._output.Enqueue(line.Data); };
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        if (configuration is not null)
        {
            await server._process.StandardInput.WriteAsync(configuration);
            server._process.StandardInput.Close();
        }
        // Ready when the port accepts a connection; bounded, and a server that exits says why.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"{start.FileName} exited with {server._process.ExitCode}:\n{string.Join('\n', server._output)}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
                return server;
            }
            catch (SocketException) when (clock.Elapsed < StartBound)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            catch (SocketException)
            {
                server.Dispose();
                throw new TimeoutException($"{start.FileName} did not listen on {port} within {StartBound.TotalSeconds:0} s:\n{string.Join('\n', server._output)}");
            }
        }
    }

    /// <inheritdoc />
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
