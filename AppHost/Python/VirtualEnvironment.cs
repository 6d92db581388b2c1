namespace AirflowAspire.AppHost.Python;

/// <summary>
/// A Python virtual environment: where it is and the executables its <c>bin/</c> holds
/// (as <c>VirtualEnvironment</c> in Aspire.Hosting.Python upstream).
/// </summary>
/// <param name="Location">The environment's folder.</param>
public sealed record VirtualEnvironment(string Location)
{
    /// <summary>The path of an executable installed into the environment, e.g. <c>airflow</c>.</summary>
    public string GetExecutable(string name) => Path.Combine(Location, OperatingSystem.IsWindows() ? "Scripts" : "bin", name);
}
