using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Python;

/// <summary>
/// A one-shot process that makes a virtual environment ready (creates it and installs the
/// requirement, or checks an existing one); apps from the environment wait for it to complete
/// (the shape of <c>PythonInstallerResource</c> in Aspire.Hosting.Python upstream).
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="command">The program that does it (uv, python3, or an executable of the environment).</param>
/// <param name="workingDirectory">Where it runs.</param>
/// <param name="environment">The environment it makes ready.</param>
public sealed class PythonInstallerResource(string name, string command, string workingDirectory, VirtualEnvironment environment)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>The environment this installer makes ready.</summary>
    public VirtualEnvironment VirtualEnvironment { get; } = environment;
}
