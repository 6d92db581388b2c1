using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Python;

/// <summary>
/// A one-shot process that makes a virtual environment ready: creates it and installs a requirement
/// (<c>AddPythonEnvironment</c>), or checks an existing one (<c>AddExistingPythonEnvironment</c>). Apps from the
/// environment wait for it to complete.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="command">The program that does it (uv, python3, or an executable of the environment).</param>
/// <param name="workingDirectory">Where it runs.</param>
/// <param name="environment">The environment it makes ready.</param>
public sealed class PythonEnvironmentResource(string name, string command, string workingDirectory, VirtualEnvironment environment)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>The environment this resource makes ready.</summary>
    public VirtualEnvironment VirtualEnvironment { get; } = environment;

    /// <summary>The pip requirement it installs, read when it starts; null when it only checks an existing environment.</summary>
    public string? Requirement { get; set; }

    /// <summary>
    /// A user's requirements file (pip's format), read when it starts: installed with <see cref="Requirement"/> under the same
    /// constraints, or, for an existing environment, checked against what it has (never installed). Null: none.
    /// </summary>
    public string? RequirementsFile { get; set; }

    /// <summary>Ranges known to be broken (<c>NAME&gt;=LOW,&lt;HIGH</c>) kept out of the environment, each with why (<see cref="PythonBuilderExtensions.Avoiding"/>).</summary>
    public List<(string Range, string Why, string[] Companions)> Avoided { get; } = [];
}
