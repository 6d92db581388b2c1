using Microsoft.Extensions.Configuration;

namespace AirflowAspire.Verifier;

/// <summary>Whether the configuration sets a log level for HttpClient's own logging, which the Verifier otherwise quiets.</summary>
public static class HttpClientLogging
{
    /// <summary>The category prefix of HttpClient's per-request log lines (<c>System.Net.Http.HttpClient.{client}.LogicalHandler</c>, ...).</summary>
    public const string Category = "System.Net.Http.HttpClient";

    /// <summary>
    /// True when <c>Logging:LogLevel</c> names <see cref="Category"/>, a category below it, or one above it
    /// (<c>System.Net.Http</c>, <c>System.Net</c>, <c>System</c>): the user asked for a level, which the Verifier keeps.
    /// </summary>
    public static bool IsConfigured(IConfiguration configuration)
        => configuration.GetSection("Logging:LogLevel").GetChildren().Any(level =>
            level.Key.StartsWith(Category, StringComparison.Ordinal)
            || Category.StartsWith(level.Key + ".", StringComparison.Ordinal));
}
