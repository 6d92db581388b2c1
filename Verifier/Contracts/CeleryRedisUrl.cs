using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AirflowAspire.Contracts;

/// <summary>
/// A Celery broker or result-backend URL on Redis, <c>redis://[[user]:password@]host[:port][/N]</c> or <c>rediss://…</c>
/// with TLS, read as Kombu's Redis transport and Celery's Redis backend read it: the password URL-decoded, port 6379
/// and database 0 when absent, a query (TLS options) ignored.
/// </summary>
/// <remarks>
/// It holds a password, so <see cref="ToString"/> masks it: the text may go into a log or a report as it is.
/// </remarks>
public sealed class CeleryRedisUrl
{
    /// <summary>Kombu's <c>DEFAULT_PORT</c>.</summary>
    public const int DefaultPort = 6379;

    /// <summary>What <see cref="ToString"/> writes instead of the password.</summary>
    public const string PasswordMask = "***";

    /// <summary>A URL of its parts.</summary>
    /// <param name="host">The server's host name or address.</param>
    /// <param name="port">Its port.</param>
    /// <param name="database">The logical database (the URL's path).</param>
    /// <param name="password">The password, if any.</param>
    /// <param name="username">The user (Redis ACL), if any.</param>
    /// <param name="tls">True for <c>rediss://</c>.</param>
    public CeleryRedisUrl(string host, int port, int database, string? password = null, string? username = null, bool tls = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(database);
        Host = host;
        Port = port;
        Database = database;
        Password = string.IsNullOrEmpty(password) ? null : password;
        Username = string.IsNullOrEmpty(username) ? null : username;
        Tls = tls;
    }

    /// <summary>The server's host name or address (an IPv6 address without its brackets).</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The logical database, the <c>N</c> of <c>/N</c>.</summary>
    public int Database { get; }

    /// <summary>The password, decoded; null when the URL has none.</summary>
    public string? Password { get; }

    /// <summary>The user of a Redis ACL; null when the URL names none.</summary>
    public string? Username { get; }

    /// <summary>True for <c>rediss://</c>: TLS.</summary>
    public bool Tls { get; }

    /// <summary>Reads a URL; throws <see cref="FormatException"/>, without the password, when it is not one.</summary>
    public static CeleryRedisUrl Parse(string url)
        => TryParse(url, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>Reads a URL; false, with the reason (which never contains the password), when it is not one.</summary>
    public static bool TryParse(string? url, [NotNullWhen(true)] out CeleryRedisUrl? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        const string Form = "redis://[:password@]host:port/N or rediss://…";
        if (string.IsNullOrWhiteSpace(url))
        {
            error = $"no URL: expected {Form}";
            return false;
        }
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Mask(url)}' is not a Celery Redis URL: expected {Form}";
            return false;
        }
        if (uri.Port == 0)
        {
            error = $"'{Mask(url)}' has port 0: expected {Form}";
            return false;
        }
        // The path is the database number alone ("/0"); Kombu takes an empty path or "/" as database 0.
        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && !int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database))
        {
            error = $"'{Mask(url)}' names database '{path}': expected a database number, {Form}";
            return false;
        }
        string? username = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            // "user:password", ":password" or "user" alone, each part URL-encoded.
            var colon = uri.UserInfo.IndexOf(':');
            username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        parsed = new CeleryRedisUrl(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, password, username, uri.Scheme == "rediss");
        error = null;
        return true;
    }

    /// <summary>The URL with its password masked (<c>redis://:***@host:port/N</c>): safe to log.</summary>
    public override string ToString()
    {
        var user = (Username, Password) switch
        {
            (null, null) => "",
            (_, null) => $"{Uri.EscapeDataString(Username!)}@",
            _ => $"{(Username is null ? "" : Uri.EscapeDataString(Username))}:{PasswordMask}@",
        };
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return $"{(Tls ? "rediss" : "redis")}://{user}{host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Database.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Masks whatever stands between <c>://</c> and the last <c>@</c> of a text that did not parse.</summary>
    private static string Mask(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        return start >= 0 && at > start ? $"{url[..(start + 3)]}{PasswordMask}{url[at..]}" : url;
    }
}
