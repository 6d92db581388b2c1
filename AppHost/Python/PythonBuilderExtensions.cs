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

    /// <summary>The script that checks an existing environment, beside this file.</summary>
    public static string CheckerScript(IDistributedApplicationBuilder builder)
        => Path.Combine(builder.AppHostDirectory, "Python", "check_environment.py");

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
    /// <param name="requirement">A pip requirement, e.g. <c>apache-airflow[celery]==3.0.3</c> (<see cref="PythonEnvironmentResource.Requirement"/> changes it until start).</param>
    /// <param name="constraint">A constraints file's URL or path.</param>
    public static IResourceBuilder<PythonEnvironmentResource> AddPythonEnvironment(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, VirtualEnvironment environment,
        string pythonVersion, string requirement, string constraint)
    {
        // With uv, uv provides the Python the script runs on; without it, python3 must be the right one.
        var uv = OnPath("uv");
        var (command, prefix, installer) = uv is not null
            ? (uv, new[] { "run", "--no-project", "--python", pythonVersion, "python" }, "uv")
            : ("python3", Array.Empty<string>(), "pip");

        var resource = new PythonEnvironmentResource(name, command, builder.AppHostDirectory, environment) { Requirement = requirement };
        return builder.AddResource(resource)
            .WithArgs(context =>
            {
                foreach (var arg in (string[])[.. prefix, InstallerScript(builder),
                             "--venv", environment.Location, "--python-version", pythonVersion, "--installer", installer,
                             "--requirement", resource.Requirement!, "--constraint", constraint,
                             .. resource.Avoided.SelectMany(a => (string[])["--avoid", a.Range, .. a.Companions.SelectMany(c => (string[])["--avoid-companion", c])]),
                             .. RequirementsArgs(resource)])
                {
                    context.Args.Add(arg);
                }
            })
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            // Aspire logs, before the start, that the program is missing and where to get it.
            .WithRequiredCommand(command, "https://docs.astral.sh/uv/getting-started/installation/");
    }

    /// <summary>
    /// Adds a one-shot resource that checks an existing virtual environment, for machines that cannot install one: its own
    /// python reads the installed metadata (no import of the package, so it takes milliseconds) and fails, saying why and the fix,
    /// unless <paramref name="distribution"/> is installed at <paramref name="version"/> with its <paramref name="module"/> and
    /// its <paramref name="executableName"/>, and nothing <see cref="Avoiding"/> names is in its range.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="environment">The existing environment.</param>
    /// <param name="distribution">The distribution that must be installed, e.g. <c>apache-airflow</c>.</param>
    /// <param name="version">Its version, exactly.</param>
    /// <param name="setting">The setting that asks for <paramref name="version"/>, named in the message when another is installed.</param>
    /// <param name="module">Its top-level module, which must be found.</param>
    /// <param name="executableName">Its executable in the environment's <c>bin</c>.</param>
    public static IResourceBuilder<PythonEnvironmentResource> AddExistingPythonEnvironment(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, VirtualEnvironment environment,
        string distribution, string version, string setting, string module, string executableName)
    {
        var resource = new PythonEnvironmentResource(name, environment.GetExecutable("python"), builder.AppHostDirectory, environment);
        return builder.AddResource(resource)
            .WithArgs(context =>
            {
                foreach (var arg in (string[])[CheckerScript(builder), "--distribution", distribution, "--version", version, "--setting", setting,
                             "--module", module, "--executable", executableName,
                             .. resource.Avoided.SelectMany(a => (string[])["--avoid", a.Range, "--why", a.Why]),
                             .. RequirementsArgs(resource)])
                {
                    context.Args.Add(arg);
                }
            })
            .WithEnvironment("PYTHONUNBUFFERED", "1");
    }

    /// <summary>
    /// Keeps a range of a package known to be broken out of the environment: an install whose constraints pin it inside
    /// <paramref name="range"/> (<c>NAME&gt;=LOW,&lt;HIGH</c>) asks for <c>NAME&gt;=HIGH</c> instead, without the pins of
    /// <paramref name="companions"/> (packages the fixed release needs newer); a check of an existing environment fails on it,
    /// saying <paramref name="why"/>.
    /// </summary>
    public static IResourceBuilder<PythonEnvironmentResource> Avoiding(this IResourceBuilder<PythonEnvironmentResource> builder,
        string range, string why, params string[] companions)
    {
        builder.Resource.Avoided.Add((range, why, companions));
        return builder;
    }

    /// <summary>
    /// A user's requirements file (pip's format) for the environment: an install puts it in the same install as the requirement,
    /// under the same constraints (a line that conflicts with them fails, naming the line and the pin); a check of an existing
    /// environment fails, naming each line, unless what is installed meets it. Null leaves it out.
    /// </summary>
    public static IResourceBuilder<PythonEnvironmentResource> WithRequirementsFile(this IResourceBuilder<PythonEnvironmentResource> builder,
        string? path)
    {
        builder.Resource.RequirementsFile = path is { Length: > 0 } ? path : null;
        return builder;
    }

    /// <summary>
    /// Adds a process started from an executable of a virtual environment (a <see cref="PythonAppResource"/>
    /// or a subclass), with unbuffered output, once the environment is ready.
    /// </summary>
    public static IResourceBuilder<T> AddPythonApp<T>(
        this IDistributedApplicationBuilder builder, T app, IResourceBuilder<PythonEnvironmentResource> environment)
        where T : PythonAppResource
        => builder.AddResource(app)
            // Python buffers output when it is not a terminal: logs would reach the dashboard late.
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WaitForCompletion(environment);

    private static string[] RequirementsArgs(PythonEnvironmentResource resource)
        => resource.RequirementsFile is { } file ? ["--requirements", file] : [];

    /// <summary>The program's full path when it is on PATH: uv is preferred when there is one, so the choice needs a look.</summary>
    private static string? OnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
