namespace AirflowAspire.AppHost;

/// <summary>
/// A setting of the AppHost's configuration has a value it cannot run with. The message names the
/// setting as it is written on the command line (<c>Section:Key</c>), the value, and what is expected.
/// </summary>
public sealed class InvalidSettingException(string section, string key, object value, string expected)
    : InvalidOperationException($"Setting {section}:{key} = '{value}' is not valid: expected {expected}.")
{
    /// <summary>The setting, as <c>Section:Key</c>.</summary>
    public string Setting { get; } = $"{section}:{key}";
}
