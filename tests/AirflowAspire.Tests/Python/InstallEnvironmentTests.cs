using System.Diagnostics;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Python;

/// <summary>
/// The environment step's script (AppHost/Python/install_environment.py) run for real with this
/// machine's python3 and pip (no uv), offline: a requirement that needs no index.
/// </summary>
public sealed class InstallEnvironmentTests
{
    private static readonly string Script = Path.Combine(AppHostModel.AppHostDirectory, "Python", "install_environment.py");

    [Fact]
    public async Task Creates_the_environment_then_does_nothing_while_nothing_changed()
    {
        var python = RequirePython();
        using var folder = new TemporaryFolder();
        using var index = new EmptyPackageIndex();
        var offline = new Dictionary<string, string> { ["PIP_INDEX_URL"] = index.Url };
        var venv = Path.Combine(folder.Path, "venv");
        var constraints = Path.Combine(folder.Path, "constraints.txt");
        await File.WriteAllTextAsync(constraints, "", TestContext.Current.CancellationToken);

        // pip is in every new environment already: installing it needs no package index.
        var first = await RunAsync(offline, "--venv", venv, "--python-version", python, "--requirement", "pip", "--constraint", constraints, "--installer", "pip");
        var second = await RunAsync(offline, "--venv", venv, "--python-version", python, "--requirement", "pip", "--constraint", constraints, "--installer", "pip");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(File.Exists(Path.Combine(venv, "bin", "python")));
        Assert.Contains("Installed pip into", first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("Unchanged:", second.Output);

        // A different requirement is a change: it installs again.
        var third = await RunAsync(offline, "--venv", venv, "--python-version", python, "--requirement", "pip>=1", "--constraint", constraints, "--installer", "pip");
        Assert.Contains("Installed pip>=1 into", third.Output);
    }

    [Fact]
    public async Task Unreachable_index_fails_fast_and_says_so()
    {
        var python = RequirePython();
        using var folder = new TemporaryFolder();

        // A closed port on loopback: refused at once, on any machine, with or without internet.
        var index = $"http://127.0.0.1:{GarnetServer.FreePort()}/simple";
        var constraints = Path.Combine(folder.Path, "constraints.txt");
        await File.WriteAllTextAsync(constraints, "", TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        var result = await RunAsync(new Dictionary<string, string> { ["PIP_INDEX_URL"] = index },
            "--venv", Path.Combine(folder.Path, "venv"), "--python-version", python,
            "--requirement", "apache-airflow[celery]==3.0.3", "--constraint", constraints, "--installer", "pip");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("could not be reached", result.Output);
        Assert.Contains("Airflow:VirtualEnvironment", result.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.False(File.Exists(Path.Combine(folder.Path, "venv", ".airflowaspire-install.json")), "a failed install must not be recorded");
    }

    [Fact]
    public async Task A_python3_of_another_version_is_refused_naming_the_setting()
    {
        var python = RequirePython();
        var other = python == "3.12" ? "3.11" : "3.12";
        using var folder = new TemporaryFolder();

        var result = await RunAsync("--venv", Path.Combine(folder.Path, "venv"), "--python-version", other,
            "--requirement", "pip", "--constraint", "x", "--installer", "pip");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"This Python is {python}", result.Output);
        Assert.Contains($"Airflow:PythonVersion is {other}", result.Output);
    }

    private static string RequirePython()
    {
        var version = PythonOnPath.Version();
        if (version is null)
        {
            Assert.Skip("python3 is not on PATH: the environment step's script cannot run here.");
        }
        return version;
    }

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private static async Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("python3", [Script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, await output + await error);
    }
}
