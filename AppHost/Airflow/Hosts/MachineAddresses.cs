using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace AirflowAspire.AppHost.Airflow.Hosts;

/// <summary>The IP addresses of this machine's network interfaces, and the one it reaches another host from.</summary>
public static class MachineAddresses
{
    /// <summary>The unicast addresses of the interfaces that are up.</summary>
    public static IReadOnlyList<IPAddress> Own() =>
    [
        .. NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address),
    ];

    /// <summary>
    /// Throws <see cref="InvalidSettingException"/> unless <paramref name="address"/> is an address of this machine other
    /// hosts can reach: not loopback (they cannot reach it), not 0.0.0.0 (the join file needs the one address they use).
    /// </summary>
    public static void RequireOwn(string section, string key, string address)
    {
        var own = Own().Where(a => !IPAddress.IsLoopback(a)).ToList();
        var listed = own.Count > 0 ? string.Join(", ", own) : "none: this machine has no address but loopback";
        if (!IPAddress.TryParse(address, out var parsed) || IPAddress.IsLoopback(parsed) || parsed.Equals(IPAddress.Any) || parsed.Equals(IPAddress.IPv6Any))
        {
            throw new InvalidSettingException(section, key, address,
                $"one IP address of this machine that the other hosts reach (not loopback, not 0.0.0.0); this machine has {listed}");
        }
        if (!own.Contains(parsed))
        {
            throw new InvalidSettingException(section, key, address, $"an address of this machine, which has {listed}");
        }
    }

    /// <summary>
    /// The local address this machine reaches <paramref name="host"/> from (the route's source address; a UDP socket sends
    /// nothing when it connects), or null when there is no route.
    /// </summary>
    public static string? RouteSourceTo(string host, int port)
    {
        try
        {
            var target = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
            using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(target, port);
            return (socket.LocalEndPoint as IPEndPoint)?.Address.ToString();
        }
        catch (Exception exception) when (exception is SocketException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
