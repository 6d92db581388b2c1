using System.Diagnostics;
using System.Security.Cryptography;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A second "host" on this machine: a network namespace with its own address on a virtual link (a veth pair) to this
/// one, and its own host name for the processes started in it (a UTS namespace). The link can be cut and restored.
/// Made and removed by the test; needs root (CI runs as root).
/// </summary>
public sealed class NetworkNamespaceHost : IDisposable
{
    private readonly List<Process> _processes = [];

    private NetworkNamespaceHost(string suffix, int subnet)
    {
        Namespace = $"aa-{suffix}";
        HostSideLink = $"aah{suffix}";
        InsideLink = $"aan{suffix}";
        HostName = $"host-{suffix}";
        MainAddress = $"10.213.{subnet}.1";
        Address = $"10.213.{subnet}.2";
    }

    /// <summary>The namespace's name.</summary>
    public string Namespace { get; }

    /// <summary>The link's end on this machine, which has <see cref="MainAddress"/>.</summary>
    public string HostSideLink { get; }

    /// <summary>The link's end inside the namespace, which has <see cref="Address"/>.</summary>
    public string InsideLink { get; }

    /// <summary>The host name of the processes started in it.</summary>
    public string HostName { get; }

    /// <summary>This machine's address on the link: what the "main host" listens on.</summary>
    public string MainAddress { get; }

    /// <summary>The namespace's address on the link.</summary>
    public string Address { get; }

    /// <summary>Why namespaces cannot be made here, or null when they can: the reason a test skips with.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces are a Linux feature";
        }
        if (Environment.UserName != "root")
        {
            return $"making network namespaces needs root (this test runs as {Environment.UserName}; CI runs as root)";
        }
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            return "the ip command (Debian's iproute2) is not installed";
        }
        if (!File.Exists("/usr/bin/unshare"))
        {
            return "the unshare command (util-linux) is not installed";
        }
        var probe = $"aa-probe-{RandomNumberGenerator.GetHexString(4, lowercase: true)}";
        var (code, output) = Run("ip", "netns", "add", probe);
        Run("ip", "netns", "del", probe);
        return code == 0 ? null : $"`ip netns add` failed here ({output.Trim()}): this machine does not allow network namespaces";
    }

    /// <summary>Makes the namespace and its link, both ends up.</summary>
    public static NetworkNamespaceHost Create()
    {
        var host = new NetworkNamespaceHost(RandomNumberGenerator.GetHexString(6, lowercase: true), RandomNumberGenerator.GetInt32(1, 250));
        try
        {
            Must("ip", "netns", "add", host.Namespace);
            Must("ip", "link", "add", host.HostSideLink, "type", "veth", "peer", "name", host.InsideLink);
            Must("ip", "link", "set", host.InsideLink, "netns", host.Namespace);
            Must("ip", "addr", "add", $"{host.MainAddress}/24", "dev", host.HostSideLink);
            Must("ip", "link", "set", host.HostSideLink, "up");
            host.Inside("ip", "addr", "add", $"{host.Address}/24", "dev", host.InsideLink);
            host.Inside("ip", "link", "set", host.InsideLink, "up");
            host.Inside("ip", "link", "set", "lo", "up");
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Cuts the link, from the namespace's side: this machine keeps its address, the namespace reaches nothing.</summary>
    public void CutLink() => Inside("ip", "link", "set", InsideLink, "down");

    /// <summary>Restores the link.</summary>
    public void RestoreLink() => Inside("ip", "link", "set", InsideLink, "up");

    /// <summary>
    /// Starts a process in the namespace, under <see cref="HostName"/>, its output collected into <paramref name="output"/>.
    /// It is stopped (SIGTERM, then killed with its descendants) when this is disposed.
    /// </summary>
    public Process Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, List<string> output, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip", ["netns", "exec", Namespace, "unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", HostName, program, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    // The AppHost stops its resources on SIGTERM; whatever is left after that goes with the tree.
                    Run("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
                    {
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(TimeSpan.FromSeconds(5));
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
        }
        // Whatever still runs in the namespace (a worker whose AppHost was killed) goes with it.
        Run("sh", "-c", $"ip netns pids {Namespace} | xargs -r kill -KILL");
        Run("ip", "link", "del", HostSideLink);
        Run("ip", "netns", "del", Namespace);
    }

    private void Inside(params string[] command) => Must(["ip", "netns", "exec", Namespace, .. command]);

    private static void Must(params string[] command)
    {
        var (code, output) = Run(command);
        if (code != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', command)}` failed ({code}): {output.Trim()}");
        }
    }

    private static (int Code, string Output) Run(params string[] command)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, exception.Message);
        }
    }
}
