using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A real image registry on loopback (Debian's <c>docker-registry</c>, the CNCF distribution registry), for a registry
/// setting to point at: a mirror or private registry as a user has one. Docker pulls from 127.0.0.1 over plain HTTP
/// without any set-up (loopback is an insecure registry by default). Its storage is a temporary folder.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    /// <summary>Debian's registry binary.</summary>
    public const string Binary = "/usr/bin/docker-registry";

    private readonly Process _process;
    private readonly TemporaryFolder _folder;

    private LocalRegistry(Process process, TemporaryFolder folder, string address) => (_process, _folder, Address) = (process, folder, address);

    /// <summary><c>127.0.0.1:PORT</c>, as a registry setting takes it.</summary>
    public string Address { get; }

    /// <summary>Starts it; skips the calling test, saying so, where the binary is not installed.</summary>
    public static async Task<LocalRegistry> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            Assert.Skip($"Needs {Binary} (Debian's docker-registry): CI's .ci/run installs it.");
        }
        var folder = new TemporaryFolder();
        var port = FreePort();
        var configuration = Path.Combine(folder.Path, "config.yml");
        await File.WriteAllTextAsync(configuration, $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {Path.Combine(folder.Path, "data")}
            http:
              addr: 127.0.0.1:{port}
            """);
        var process = Process.Start(new ProcessStartInfo(Binary, ["serve", configuration]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new LocalRegistry(process, folder, $"127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var answer = await http.GetAsync($"http://{registry.Address}/v2/");
                if (answer.IsSuccessStatusCode)
                {
                    return registry;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        await registry.DisposeAsync();
        throw new TimeoutException($"{Binary} did not answer on {registry.Address} within 30 s.");
    }

    /// <summary>Pushes a local image to this registry as <c>{Address}/{image}:{tag}</c>, then forgets that local name, so that running it pulls.</summary>
    public async Task PushAsync(string localImage, string image, string tag)
    {
        var remote = $"{Address}/{image}:{tag}";
        foreach (var step in new[] { new[] { "tag", localImage, remote }, ["push", remote], ["rmi", remote] })
        {
            var (exitCode, output) = await ContainerEngine.DockerAsync(TimeSpan.FromMinutes(2), step);
            Assert.True(exitCode == 0, $"docker {string.Join(' ', step)} failed: {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The images the tests pulled from it under its name, which no later run can pull again.
        var (_, images) = await ContainerEngine.DockerAsync(TimeSpan.FromSeconds(30), "image", "ls", "--format", "{{.Repository}}:{{.Tag}}");
        foreach (var image in images.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(i => i.StartsWith(Address + "/", StringComparison.Ordinal)))
        {
            await ContainerEngine.DockerAsync(TimeSpan.FromSeconds(30), "rmi", image);
        }
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _folder.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
