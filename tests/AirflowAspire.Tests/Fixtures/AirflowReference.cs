using System.Text.RegularExpressions;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// Airflow's own contract files under <c>../shared/reference/airflow/</c> (config.yml, the Celery
/// provider's provider.yaml, the OpenAPI documents), found from the repository or a clone beside it.
/// </summary>
public static partial class AirflowReference
{
    public static string? Directory(string version)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference", "airflow", version);
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Every <c>(section, key)</c> that config.yml and provider.yaml declare, read from their <c>options:</c> blocks.</summary>
    public static HashSet<(string Section, string Key)> ConfigKeys(string directory)
    {
        var keys = new HashSet<(string, string)>();
        foreach (var file in new[] { "config.yml", "provider.yaml" })
        {
            var lines = File.ReadAllLines(Path.Combine(directory, file));
            // config.yml puts sections at column 0; provider.yaml nests them under "config:" at column 2.
            var sectionIndent = file == "config.yml" ? 0 : 2;
            string? section = null;
            var inOptions = false;
            foreach (var line in lines)
            {
                var indent = line.Length - line.TrimStart().Length;
                var match = Entry().Match(line);
                if (!match.Success)
                {
                    continue;
                }
                if (indent == sectionIndent)
                {
                    section = match.Groups[1].Value;
                    inOptions = false;
                }
                else if (indent == sectionIndent + 2)
                {
                    inOptions = match.Groups[1].Value == "options";
                }
                else if (indent == sectionIndent + 4 && inOptions && section is not null)
                {
                    keys.Add((section, match.Groups[1].Value));
                }
            }
        }
        return keys;
    }

    [GeneratedRegex(@"^\s*([a-z_0-9]+):\s*$")]
    private static partial Regex Entry();
}
