using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// Where a server of ours binds: loopback, unless its endpoint was given an address of this machine that other hosts reach
/// (<c>WithListenAddress</c>, <c>WithRemoteWorkers</c>); and how an endpoint gets that address and a fixed port.
/// </summary>
internal static class EndpointBinding
{
    /// <summary>The address a server must bind for its endpoint <paramref name="endpointName"/>: the endpoint's IP address, else 127.0.0.1.</summary>
    public static string BindAddress(IResourceWithEndpoints resource, string endpointName)
        => resource.Annotations.OfType<EndpointAnnotation>().First(e => e.Name == endpointName).TargetHost is var host
           && System.Net.IPAddress.TryParse(host, out _) ? host : "127.0.0.1";

    /// <summary>
    /// Makes the endpoint unproxied on the fixed <paramref name="port"/>: the server binds it itself, and clients get
    /// <paramref name="address"/> (when given) as the endpoint's host. <paramref name="targetPortToo"/>: the process listens
    /// on that port too (an executable; a container keeps its own port inside).
    /// </summary>
    public static void FixOn(this EndpointAnnotation endpoint, int port, string? address = null, bool targetPortToo = true)
    {
        if (address is not null)
        {
            endpoint.TargetHost = address;
        }
        endpoint.Port = port;
        if (targetPortToo)
        {
            endpoint.TargetPort = port;
        }
        endpoint.IsProxied = false;
    }

    /// <summary>
    /// A TCP port free on every interface now, for a server the AppHost configures with a port number of its own choosing
    /// (Airflow's log servers bind <c>[::]</c>, or <c>0.0.0.0</c> without IPv6). Chosen once, when the model is built.
    /// </summary>
    public static int FreePort()
    {
        System.Net.Sockets.TcpListener listener;
        try
        {
            listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Any, 0);
            listener.Server.DualMode = true;
            listener.Start();
        }
        catch (System.Net.Sockets.SocketException)
        {
            listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
            listener.Start();
        }
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
