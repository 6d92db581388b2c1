using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost;

/// <summary>Binds a section of the AppHost's configuration to its settings class.</summary>
public static partial class SettingsSection
{
    /// <summary>
    /// The section's settings; a value the binder cannot convert (<c>--Airflow:Triggerer=maybe</c>, <c>--Airflow:Workers=two</c>)
    /// is an <see cref="InvalidSettingException"/> naming the setting and what it takes, not the binder's exception, which
    /// ended the AppHost with the runtime's abort and a stack trace.
    /// </summary>
    /// <param name="configuration">The AppHost's configuration.</param>
    /// <param name="section">The section's name.</param>
    public static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException error) when (ConversionFailure().Match(error.Message) is { Success: true } failure)
        {
            var path = failure.Groups["path"].Value;
            var key = path.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase) ? path[(section.Length + 1)..] : path;
            throw new InvalidSettingException(section, key, failure.Groups["value"].Value, Expected(failure.Groups["type"].Value));
        }
    }

    private static string Expected(string type) => type switch
    {
        "System.Boolean" => "true or false",
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.TimeSpan" => "a duration such as 00:00:30",
        _ => $"a value of type {type}",
    };

    // Microsoft.Extensions.Configuration.Binder's message (Error_FailedBinding).
    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)' to type '(?<type>[^']*)'\.", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();
}
