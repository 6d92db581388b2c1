namespace AirflowAspire.AppHost.Airflow.DagFiles;

/// <summary>
/// What Airflow made of the DAG files, as the deployment's row says it at a glance: how many DAGs parsed, and which files
/// did not import, e.g. <c>4 DAGs, 1 import error (dags/weekly_forecast.py)</c>.
/// </summary>
/// <param name="DagCount">The DAGs Airflow knows (<c>total_entries</c> of <c>GET /api/v2/dags</c>: the active ones, not stale).</param>
/// <param name="ImportErrorFiles">The files with an import error, as the row shows them (see <see cref="DisplayName"/>).</param>
public sealed record DagFilesSummary(int DagCount, IReadOnlyList<string> ImportErrorFiles)
{
    /// <summary>How many files the row names before it says "and N more".</summary>
    public const int NamedFiles = 3;

    /// <summary>The row's text.</summary>
    public override string ToString()
    {
        var dags = DagCount == 1 ? "1 DAG" : $"{DagCount} DAGs";
        if (ImportErrorFiles.Count == 0)
        {
            return dags;
        }
        var named = string.Join(", ", ImportErrorFiles.Take(NamedFiles));
        var more = ImportErrorFiles.Count > NamedFiles ? $" and {ImportErrorFiles.Count - NamedFiles} more" : "";
        var errors = ImportErrorFiles.Count == 1 ? "1 import error" : $"{ImportErrorFiles.Count} import errors";
        return $"{dags}, {errors} ({named}{more})";
    }

    /// <summary>
    /// A file with an import error as the user knows it (<c>ImportErrorResponse.filename</c>, <c>bundle_name</c>): in the DAGs
    /// folder's bundle it is shown under the folder's own name (<c>dags/sales.py</c>), in any other bundle under the bundle's
    /// name. Airflow 3.0 records the file's absolute path (its DagBag's key: 3.0.3's dag_processing/processor.py, seen on
    /// real 3.0.3), later lines the path relative to the bundle; an absolute path outside the DAGs folder is shown as it is.
    /// </summary>
    public static string DisplayName(string filename, string? bundle, string dagsFolder)
    {
        var inDagsFolder = bundle is null or AirflowDagBundles.DagsFolderBundle;
        if (Path.IsPathRooted(filename))
        {
            var relative = Path.GetRelativePath(dagsFolder, filename);
            if (!inDagsFolder || Path.IsPathRooted(relative) || relative == ".." || relative.StartsWith($"..{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                return filename;
            }
            filename = relative;
        }
        return inDagsFolder
            ? $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(dagsFolder))}/{filename}"
            : $"{bundle}/{filename}";
    }

    /// <inheritdoc />
    public bool Equals(DagFilesSummary? other)
        => other is not null && DagCount == other.DagCount && ImportErrorFiles.SequenceEqual(other.ImportErrorFiles);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DagCount, ImportErrorFiles.Count);
}
