namespace AirflowAspire.AppHost;

/// <summary>
/// Where relative paths in settings start: the repository's top, where the README's commands are typed.
/// Not the process's working directory: <c>dotnet run --project AppHost</c> runs the AppHost in <c>AppHost/</c>.
/// </summary>
public static class RepositoryPaths
{
    /// <summary>The repository's top folder, the AppHost project's parent.</summary>
    public static string Top(string appHostDirectory) => Path.GetFullPath(Path.Combine(appHostDirectory, ".."));

    /// <summary>An absolute path: <paramref name="path"/> as it is when absolute, else under <paramref name="top"/>; null or empty stays so.</summary>
    public static string? Resolve(string? path, string top) => path is { Length: > 0 } ? Path.GetFullPath(path, top) : path;
}
