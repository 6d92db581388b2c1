using System.Text.Json;

namespace AirflowAspire.AppHost.Airflow;

// The user's own Airflow project beside the DAGs folder: plugins, and the connections, variables and pools Airflow imports
// (the anchors: Astronomer's plugins/ and airflow_settings.yaml; Airflow's docker-compose ./plugins).
public sealed partial class AirflowSettings
{
    /// <summary><c>[core] plugins_folder</c> every process reads (Airflow puts it on <c>sys.path</c>); unset: Airflow's default, <c>plugins/</c> in <c>AIRFLOW_HOME</c>.</summary>
    public string? PluginsFolder { get; set; }

    /// <summary>
    /// A connections file in the format of <c>airflow connections import</c> (<c>.json</c>, <c>.yaml</c>/<c>.yml</c> or <c>.env</c>),
    /// imported after the migration and before the scheduler starts, overwriting connections of the same id.
    /// </summary>
    public string? Connections { get; set; }

    /// <summary>A variables file in the format of <c>airflow variables import</c> (a JSON object of key to value), imported likewise.</summary>
    public string? Variables { get; set; }

    /// <summary>A pools file in the format of <c>airflow pools import</c> (a JSON object of name to slots and description), imported likewise.</summary>
    public string? Pools { get; set; }

    /// <summary>The files to import, each with its setting's key and its kind as <c>airflow KIND import</c> names it, in import order.</summary>
    public IReadOnlyList<(string Key, string Kind, string Path)> ImportFiles =>
    [
        .. new[] { ("Connections", "connections", Connections), ("Variables", "variables", Variables), ("Pools", "pools", Pools) }
            .Where(f => f.Item3 is { Length: > 0 })
            .Select(f => (f.Item1, f.Item2, f.Item3!)),
    ];

    private void ResolveProjectPaths(string repositoryTop)
    {
        PluginsFolder = RepositoryPaths.Resolve(PluginsFolder, repositoryTop);
        Connections = RepositoryPaths.Resolve(Connections, repositoryTop);
        Variables = RepositoryPaths.Resolve(Variables, repositoryTop);
        Pools = RepositoryPaths.Resolve(Pools, repositoryTop);
    }

    /// <summary>
    /// The project's folder and files exist and are readable, and the JSON files are JSON objects, before anything starts:
    /// `airflow variables import` counts a bad entry as "failed to be updated" and still exits 0 (3.0.3's variable_command.py),
    /// and a message here names the setting. Nothing of a file's content is quoted: a connections file holds passwords.
    /// </summary>
    private void ValidateProject()
    {
        if (PluginsFolder is { Length: > 0 } plugins && !Directory.Exists(plugins))
        {
            throw Invalid("PluginsFolder", plugins, "an existing folder of Airflow plugins (relative paths start at the repository's top)");
        }
        foreach (var (key, kind, path) in ImportFiles)
        {
            var extensions = key == "Connections" ? new[] { ".json", ".yaml", ".yml", ".env" } : [".json"];
            var format = $"a {string.Join(", ", extensions)} file in the format of `airflow {kind} import`";
            if (!File.Exists(path))
            {
                throw Invalid(key, path, $"an existing file: {format} (relative paths start at the repository's top)");
            }
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (!extensions.Contains(extension))
            {
                throw Invalid(key, path, $"{format}: Airflow reads the format from the extension, and '{extension}' is not one it reads");
            }
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw Invalid(key, path, $"a file this user can read ({error.GetType().Name}: {error.Message}); check its permissions");
            }
            if (extension == ".json")
            {
                ValidateJsonObject(key, path, text, format);
            }
        }
    }

    private static void ValidateJsonObject(string key, string path, string text, string format)
    {
        try
        {
            using var json = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(key, path, $"{format}: a JSON object at the top, not {json.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }
        }
        catch (JsonException error)
        {
            // The position only (line and byte), never the text around it.
            throw Invalid(key, path, $"{format}: it is not valid JSON at line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1}");
        }
    }
}
