using System.Reflection;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Verifier;

/// <summary>
/// The Verifier, started from its build output (<c>dotnet Verifier.dll</c>) rather than as Aspire starts a project
/// (<c>dotnet run --project Verifier.csproj --no-build</c>): <c>dotnet run</c> evaluates the project with MSBuild before it
/// starts the program, 6 to 7 s of one core measured here at every start, while Airflow's processes import on the same
/// cores. <c>dotnet run --project AppHost</c> builds it first all the same: it is a project reference of the AppHost.
/// </summary>
/// <param name="name">The resource's name.</param>
/// <param name="command">The <c>dotnet</c> host.</param>
/// <param name="workingDirectory">The Verifier's project folder, where <c>dotnet run</c> ran it.</param>
public sealed class VerifierResource(string name, string command, string workingDirectory) : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>The Verifier's project file.</summary>
    public static string ProjectPath => new Projects.Verifier().ProjectPath;

    /// <summary>The build configuration of this AppHost, which <c>dotnet run --project AppHost</c> built the Verifier in too.</summary>
    public static string Configuration
        => typeof(VerifierResource).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// Its program in the build output of this AppHost's configuration (<c>bin/Debug/net10.0/Verifier.dll</c>), or null
    /// when it is not there (a build with another output path): the Verifier is then started with <c>dotnet run</c>.
    /// </summary>
    public static string? BuiltProgram()
    {
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var program = Path.Combine(Path.GetDirectoryName(ProjectPath)!, "bin", Configuration, framework, "Verifier.dll");
        return File.Exists(program) ? program : null;
    }

    /// <summary>The <c>dotnet</c> host that runs this AppHost's build (the SDK sets <c>DOTNET_HOST_PATH</c>), else the one on PATH.</summary>
    public static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
