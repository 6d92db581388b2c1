namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The facts of one Airflow line the tests check against: its configuration keys and the parts of its OpenAPI
/// documents this project uses, extracted from Airflow's own files into <c>TestData/Airflow/&lt;version&gt;</c>
/// (copied beside the tests; how and from where is in that folder's README.md). A clone needs nothing beside it.
/// </summary>
public static class AirflowReference
{
    /// <summary>The versions the tests carry facts of.</summary>
    public static IReadOnlyList<string> Versions =>
        System.IO.Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "TestData", "Airflow")).Select(Path.GetFileName).OfType<string>().Order().ToList();

    /// <summary>The folder of one version's facts (which may not exist).</summary>
    public static string Directory(string version) => Path.Combine(AppContext.BaseDirectory, "TestData", "Airflow", version);

    /// <summary>
    /// Every <c>(section, key)</c> that the line's config.yml and its Celery provider's provider.yaml declare, and those its code
    /// reads without declaring them (<c>read-keys.txt</c>, each with its source line).
    /// </summary>
    public static HashSet<(string Section, string Key)> ConfigKeys(string version)
    {
        var read = Path.Combine(Directory(version), "read-keys.txt");
        return File.ReadLines(Path.Combine(Directory(version), "config-keys.txt")).Concat(File.Exists(read) ? File.ReadLines(read) : [])
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2))
            .Select(parts => (parts[0], parts[1]))
            .ToHashSet();
    }
}
