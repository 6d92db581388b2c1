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

    // Constraints pinning a Celery provider of apache/airflow#59707 (3.14.0 to 3.18.x: workers named with --celery-hostname never
    // run tasks) are installed from a copy without that pin nor its companion's, asking for 3.19.0 or later; other pins stay.
    [Theory]
    [InlineData("3.17.1", true)]
    [InlineData("3.14.0", true)]
    [InlineData("3.19.0", false)]
    [InlineData("3.12.1", false)]
    public async Task A_pinned_Celery_provider_in_the_avoided_range_is_replaced_by_the_fixed_release(string pinned, bool replaced)
    {
        var python = RequirePython();
        using var folder = new TemporaryFolder();
        using var index = new EmptyPackageIndex();
        var venv = Path.Combine(folder.Path, "venv");
        var constraints = Path.Combine(folder.Path, "constraints.txt");
        await File.WriteAllTextAsync(constraints,
            $"celery==5.5.3\napache-airflow-providers-celery=={pinned}\napache_airflow_providers_common_compat==1.10.1\n", TestContext.Current.CancellationToken);

        // The empty index has no package: the install itself fails after the constraints were read.
        var result = await RunAsync(new Dictionary<string, string> { ["PIP_INDEX_URL"] = index.Url },
            "--venv", venv, "--python-version", python, "--requirement", "apache-airflow[celery]==3.1.8", "--constraint", constraints, "--installer", "pip",
            "--avoid", "apache-airflow-providers-celery>=3.14.0,<3.19.0", "--avoid-companion", "apache-airflow-providers-common-compat");

        Assert.Equal(1, result.ExitCode);
        var copy = Path.Combine(folder.Path, "venv.constraints.txt");
        if (replaced)
        {
            Assert.Contains($"The constraints pin apache-airflow-providers-celery=={pinned}, inside apache-airflow-providers-celery>=3.14.0,<3.19.0", result.Output);
            Assert.Contains("apache-airflow-providers-celery>=3.19.0 --constraint " + copy, result.Output);
            var kept = await File.ReadAllLinesAsync(copy, TestContext.Current.CancellationToken);
            Assert.Contains("celery==5.5.3", kept);
            Assert.DoesNotContain(kept, line => line.StartsWith("apache-airflow-providers-celery==", StringComparison.Ordinal));
            Assert.DoesNotContain(kept, line => line.StartsWith("apache_airflow_providers_common_compat==", StringComparison.Ordinal));
        }
        else
        {
            Assert.DoesNotContain("The constraints pin", result.Output);
            Assert.Contains("--constraint " + constraints, result.Output);
            Assert.False(File.Exists(copy));
        }
    }

    // Airflow:Requirements: the file goes into the same install, its digest into the record; an unchanged file is a no-op, an edit
    // installs again (here: the version the edited line asks for).
    [Fact]
    public async Task A_requirements_file_is_installed_then_does_nothing_until_it_is_edited()
    {
        var python = RequirePython();
        using var folder = new TemporaryFolder();
        using var index = new EmptyPackageIndex();
        using var wheels = new LocalWheels().Add("demo-pkg", "1.0").Add("demo-pkg", "2.0");
        var venv = Path.Combine(folder.Path, "venv");
        var requirements = Path.Combine(folder.Path, "requirements.txt");
        await File.WriteAllTextAsync(requirements, "# mine\ndemo-pkg==1.0\n", TestContext.Current.CancellationToken);

        var first = await InstallAsync(index, wheels, folder.Path, requirements, "");
        var clock = Stopwatch.StartNew();
        var second = await InstallAsync(index, wheels, folder.Path, requirements, "");
        var unchanged = clock.Elapsed;
        await File.WriteAllTextAsync(requirements, "# mine\ndemo-pkg==2.0\n", TestContext.Current.CancellationToken);
        var third = await InstallAsync(index, wheels, folder.Path, requirements, "");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains($"-r {requirements} --constraint", first.Output);
        Assert.Contains($"Installed pip and {requirements} into", first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("Unchanged:", second.Output);
        // Nothing ran: no venv, no pip (each command is echoed as "$ …"). How fast that is belongs to a benchmark: under load
        // the Python start alone took 10 s here.
        Assert.DoesNotContain("$ ", second.Output);
        TestContext.Current.TestOutputHelper?.WriteLine($"An unchanged file took {unchanged.TotalSeconds:0.00} s.");
        Assert.True(third.ExitCode == 0, third.Output);
        Assert.Contains($"Installed pip and {requirements} into", third.Output);
        var site = Directory.GetDirectories(Path.Combine(venv, "lib")).Single();
        Assert.True(Directory.Exists(Path.Combine(site, "site-packages", "demo_pkg-2.0.dist-info")), third.Output);
        Assert.False(Directory.Exists(Path.Combine(site, "site-packages", "demo_pkg-1.0.dist-info")), third.Output);
    }

    // A line no index has fails naming the line, its file and number, not only pip's "No matching distribution".
    [Fact]
    public async Task A_requirement_that_cannot_be_installed_is_named_with_its_file_and_line()
    {
        RequirePython();
        using var folder = new TemporaryFolder();
        using var index = new EmptyPackageIndex();
        using var wheels = new LocalWheels().Add("demo-pkg", "1.0");
        var requirements = Path.Combine(folder.Path, "requirements.txt");
        await File.WriteAllTextAsync(requirements, "demo-pkg==1.0\nno-such-package==1.0\n", TestContext.Current.CancellationToken);

        var result = await InstallAsync(index, wheels, folder.Path, requirements, "");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no-such-package==1.0 ({requirements} line 2) could not be installed: no such distribution or version", result.Output);
        Assert.Contains("Fix: correct the name or the version on that line of Airflow:Requirements", result.Output);
        Assert.False(File.Exists(Path.Combine(folder.Path, "venv", ".airflowaspire-install.json")), "a failed install must not be recorded");
    }

    // A line that excludes the version the constraints pin is named as a conflict with that pin before pip runs (no environment is
    // made); one whose package needs another version of a pinned one is named from pip's own report of the conflict.
    [Theory]
    [InlineData("demo-pkg>=2.0", "", false)]
    [InlineData("needs-new-demo==1.0", ": needs-new-demo 1.0 depends on demo-pkg>=2.0", true)]
    public async Task A_requirement_that_conflicts_with_the_constraints_is_named_with_the_pin(string line, string cause, bool pipRan)
    {
        RequirePython();
        using var folder = new TemporaryFolder();
        using var index = new EmptyPackageIndex();
        using var wheels = new LocalWheels().Add("demo-pkg", "1.0").Add("demo-pkg", "2.0").Add("needs-new-demo", "1.0", "demo-pkg>=2.0");
        var requirements = Path.Combine(folder.Path, "requirements.txt");
        await File.WriteAllTextAsync(requirements, $"# mine\n{line}\n", TestContext.Current.CancellationToken);
        var constraints = Path.Combine(folder.Path, "constraints.txt");

        var result = await InstallAsync(index, wheels, folder.Path, requirements, "demo-pkg==1.0\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{line} ({requirements} line 2) conflicts with Airflow's constraints, which pin demo-pkg==1.0 ({constraints}){cause}.", result.Output);
        Assert.Contains("Fix: change that line of Airflow:Requirements so that it works with demo-pkg==1.0", result.Output);
        Assert.Equal(pipRan, Directory.Exists(Path.Combine(folder.Path, "venv")));
    }

    // uv is not on this machine: its reports, in the wording of astral-sh/uv#3053 and #3548 (wrapped as uv wraps them), are given
    // to the installer's reading of a failed install, which must trace each to the file's line.
    [Theory]
    [InlineData("Because you require demo-pkg>=2.0 and demo-pkg==1.0, we can conclude\n      that your requirements are unsatisfiable.",
        "demo-pkg>=2.0 (FILE line 2) conflicts with Airflow's constraints, which pin demo-pkg==1.0 (C)")]
    [InlineData("Because you require demo-pkg==1.0 and you require demo-pkg>=2.0, we can conclude that the requirements are unsatisfiable.",
        "demo-pkg>=2.0 (FILE line 2) conflicts with Airflow's constraints, which pin demo-pkg==1.0 (C)")]
    [InlineData("Because there is no version of nope==3 and you require nope==3, we can conclude that your requirements are unsatisfiable.",
        "nope==3 (FILE line 3) could not be installed")]
    public async Task Uv_reports_are_traced_to_the_line_of_the_requirements_file(string report, string expected)
    {
        RequirePython();
        using var folder = new TemporaryFolder();
        var requirements = Path.Combine(folder.Path, "requirements.txt");
        await File.WriteAllTextAsync(requirements, "# mine\ndemo-pkg>=2.0\nnope==3\n", TestContext.Current.CancellationToken);
        var code = "import sys, argparse; sys.path.insert(0, sys.argv[1]); import install_environment as i, requirements_file as r; "
            + "i.explain_failure(argparse.Namespace(user_lines=r.read(sys.argv[2])[0], constraint='C', requirement='apache-airflow==3.0.3', python_version='3.12'), "
            + "'  x No solution found when resolving dependencies:\\n  ╰─▶ ' + sys.argv[3])";
        var start = new ProcessStartInfo("python3", ["-c", code, Path.GetDirectoryName(Script)!, requirements, report])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, process.ExitCode);
        Assert.Contains(expected.Replace("FILE", requirements, StringComparison.Ordinal), output);
    }

    /// <summary>Runs the installer for pip plus <paramref name="requirements"/>, with <paramref name="constraints"/> as the constraints
    /// file's content, from <paramref name="wheels"/> (the index holds nothing).</summary>
    private static async Task<(int ExitCode, string Output)> InstallAsync(EmptyPackageIndex index, LocalWheels wheels, string folder, string requirements, string constraints)
    {
        var constraintsFile = Path.Combine(folder, "constraints.txt");
        await File.WriteAllTextAsync(constraintsFile, constraints, TestContext.Current.CancellationToken);
        return await RunAsync(new Dictionary<string, string> { ["PIP_INDEX_URL"] = index.Url, ["PIP_FIND_LINKS"] = wheels.Folder },
            "--venv", Path.Combine(folder, "venv"), "--python-version", PythonOnPath.Version()!, "--requirement", "pip",
            "--constraint", constraintsFile, "--installer", "pip", "--requirements", requirements);
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

    private static Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("python3", [Script, .. args]);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return ProcessRun.RunAsync(start, TimeSpan.FromMinutes(2));
    }
}
