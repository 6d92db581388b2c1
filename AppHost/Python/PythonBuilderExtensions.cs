using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The part of Aspire.Hosting.Python this project needs, with its names and shape, built on
/// Aspire.Hosting's executable resources (the package is not in every NuGet feed we build from).
/// </summary>
public static class PythonBuilderExtensions
{
    /// <summary>The installer script, beside this file.</summary>
    public static string InstallerScript(IDistributedApplicationBuilder builder)
        => Path.Combine(builder.AppHostDirectory, "Python", "install_environment.py");

    /// <summary>
    /// Adds a one-shot resource that creates the virtual environment and installs a requirement
    /// with a constraints file: with uv when it is on PATH (uv can also provide the Python version),
    /// else with <c>python3 -m venv</c> and pip. When nothing changed since the last successful
    /// install it does nothing and finishes at once.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="environment">Where the environment goes.</param>
    /// <param name="pythonVersion">major.minor.</param>
    /// <param name="requirement">A pip requirement, e.g. <c>apache-airflow[celery]==3.0.3</c>.</param>
    /// <param name="constraint">A constraints file's URL or path.</param>
    public static IResourceBuilder<PythonInstallerResource> AddPythonEnvironment(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, VirtualEnvironment environment,
        string pythonVersion, string requirement, string constraint)
    {
        // With uv, uv provides the Python the script runs on; without it, python3 must be the right one.
        var uv = FindOnPath("uv");
        var (command, prefix) = uv is not null
            ? (uv, new[] { "run", "--no-project", "--python", pythonVersion, "python" })
            : (FindOnPath("python3") ?? "python3", Array.Empty<string>());

        return builder.AddResource(new PythonInstallerResource(name, command, builder.AppHostDirectory, environment))
            .WithArgs([.. prefix, InstallerScript(builder),
                "--venv", environment.Location, "--python-version", pythonVersion,
                "--requirement", requirement, "--constraint", constraint])
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .ExplainFailureToStart(
                $"Neither uv nor python3 could be started to create the Python environment. " +
                $"Fix: install uv (https://docs.astral.sh/uv/) or Python {pythonVersion} with its venv module as python3, " +
                "or set Airflow:VirtualEnvironment to an environment that already has Airflow.");
    }

    /// <summary>
    /// Adds a one-shot resource that checks an existing virtual environment by running one of its
    /// executables (e.g. <c>airflow version</c>), for machines that cannot install one.
    /// </summary>
    public static IResourceBuilder<PythonInstallerResource> AddExistingPythonEnvironment(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, VirtualEnvironment environment,
        string executableName, params string[] checkArgs)
        => builder.AddResource(new PythonInstallerResource(name, environment.GetExecutable(executableName), builder.AppHostDirectory, environment))
            .WithArgs(checkArgs);

    /// <summary>
    /// Adds a process started from an executable of a virtual environment (a <see cref="PythonAppResource"/>
    /// or a subclass), with unbuffered output, once the environment is ready.
    /// </summary>
    public static IResourceBuilder<T> AddPythonApp<T>(
        this IDistributedApplicationBuilder builder, T app, IResourceBuilder<PythonInstallerResource> environment)
        where T : PythonAppResource
        => builder.AddResource(app)
            // Python buffers output when it is not a terminal: logs would reach the dashboard late.
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WaitForCompletion(environment);

    private static string? FindOnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
