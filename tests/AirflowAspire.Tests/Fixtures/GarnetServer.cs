using System.Net;
using System.Net.Sockets;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A real Redis-protocol server (Garnet, from NuGet) on a free loopback port, with a password,
/// started in the test process so no test depends on what the machine has installed. Real Celery
/// workers (Kombu's Redis transport) use it as their broker: Lua is on for Kombu's lock release script.
/// </summary>
public sealed class GarnetServer : IDisposable
{
    private readonly Garnet.GarnetServer _server;

    public GarnetServer(string password)
    {
        Password = password;
        Port = FreePort();
        _server = new Garnet.GarnetServer(["--port", Port.ToString(), "--bind", "127.0.0.1", "--lua", "true", "--auth", "Password", "--password", password]);
        _server.Start();
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>StackExchange.Redis form, as the AppHost's Dragonfly connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    /// <summary>Celery's form for one database.</summary>
    public string CeleryUrl(int database) => $"redis://:{Password}@127.0.0.1:{Port}/{database}";

    public void Dispose() => _server.Dispose();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
