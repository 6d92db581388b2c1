using System.Net;
using AirflowAspire.Contracts;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Broker;

/// <summary>
/// Where the Verifier finds Celery's data: the broker's connection string (its Redis client's) and the databases of the
/// Celery URLs Airflow was given (<see cref="VerifierOptions.BrokerUrl"/>, <see cref="VerifierOptions.ResultBackendUrl"/>).
/// </summary>
public static class BrokerConnection
{
    /// <summary>The connection string the AppHost passes (<c>ConnectionStrings__broker</c>).</summary>
    public const string Name = "broker";

    /// <summary>The one an AppHost passed before it was called <see cref="Name"/> (<c>ConnectionStrings__dragonfly</c>).</summary>
    public const string FormerName = "dragonfly";

    /// <summary>Celery's broker database when <see cref="VerifierOptions.BrokerUrl"/> is not set (the AppHost's).</summary>
    public const int DefaultBrokerDatabase = 0;

    /// <summary>Celery's result backend database when <see cref="VerifierOptions.ResultBackendUrl"/> is not set (the AppHost's).</summary>
    public const int DefaultResultBackendDatabase = 1;

    /// <summary>The name of the broker's connection string in <paramref name="configuration"/>: <see cref="Name"/>, else <see cref="FormerName"/>; null when neither is set.</summary>
    public static string? NameIn(IConfiguration configuration)
        => new[] { Name, FormerName }.FirstOrDefault(name => !string.IsNullOrEmpty(configuration.GetConnectionString(name)));

    /// <summary>
    /// The Celery URL of <paramref name="configured"/> when set; else the server of <paramref name="connectionString"/>
    /// (StackExchange.Redis form, <c>host:port,password=…</c>) with <paramref name="defaultDatabase"/>.
    /// </summary>
    /// <exception cref="FormatException">Neither is what it should be; the message holds no password.</exception>
    public static CeleryRedisUrl Url(string? configured, string connectionString, int defaultDatabase)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return CeleryRedisUrl.Parse(configured);
        }
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException)
        {
            throw new FormatException("the broker's connection string is not host:port,password=…");
        }
        var (host, port) = options.EndPoints.FirstOrDefault() switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new FormatException("the broker's connection string names no server (host:port)"),
        };
        // A connection string may leave out the port; Celery's URL may not be read without one.
        return new CeleryRedisUrl(host, port > 0 ? port : options.Ssl ? 6380 : CeleryRedisUrl.DefaultPort, defaultDatabase,
            options.Password, options.User, options.Ssl);
    }
}
