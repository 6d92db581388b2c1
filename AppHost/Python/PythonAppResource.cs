using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Python;

/// <summary>
/// A process started from an executable of a Python virtual environment
/// (the shape of <c>PythonAppResource</c> in Aspire.Hosting.Python upstream); other resources find its
/// endpoints through service discovery (<c>WithReference</c>).
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="executableName">The executable in the environment's <c>bin/</c>.</param>
/// <param name="workingDirectory">Where the process runs.</param>
/// <param name="environment">The virtual environment.</param>
public class PythonAppResource(string name, string executableName, string workingDirectory, VirtualEnvironment environment)
    : ExecutableResource(name, environment.GetExecutable(executableName), workingDirectory), IResourceWithServiceDiscovery
{
    /// <summary>The virtual environment the executable comes from.</summary>
    public VirtualEnvironment VirtualEnvironment { get; } = environment;
}
