using System.Net;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A package index on loopback that holds nothing (every request is answered 404): reachable, so
/// the environment step goes on to pip, which needs nothing from it for a requirement already met.
/// </summary>
public sealed class EmptyPackageIndex : IDisposable
{
    private readonly HttpListener _listener = new();

    public EmptyPackageIndex()
    {
        Url = $"http://127.0.0.1:{GarnetServer.FreePort()}/simple";
        _listener.Prefixes.Add(Url.Replace("/simple", "/"));
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    context.Response.StatusCode = 404;
                    context.Response.Close();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
    }

    public string Url { get; }

    public void Dispose() => _listener.Close();
}
