using System.Diagnostics;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Python;

/// <summary>
/// Airflow:Requirements with Airflow:VirtualEnvironment: the check of an existing environment (AppHost/Python/check_environment.py)
/// run for real by the stand-in environment's python (/usr/bin/python3 with its system packages, where Debian's python3-yaml gives
/// PyYAML 6). Each line must be met by what is installed; nothing is installed. Every case runs twice: with the `packaging` pip
/// vendors, and with the script's standard-library reading of the same rules, which must agree.
/// </summary>
public sealed class CheckRequirementsTests
{
    private static readonly string Script = Path.Combine(AppHostModel.AppHostDirectory, "Python", "check_environment.py");
    private static readonly string SampleRequirements = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "SampleProject", "requirements.txt"));

    // The sample project's file (PyYAML>=6.0) passes, followed through -r, with an options line skipped and said so.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Met_requirements_pass_and_options_lines_are_skipped_with_a_note(bool standardLibraryOnly)
    {
        using var standIn = RequireStandIn();
        var file = await WriteAsync(standIn, $"--index-url http://127.0.0.1:9/simple\n-r {SampleRequirements}\n");

        var result = await CheckAsync(standIn, file, standardLibraryOnly);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"{file} line 1: '--index-url http://127.0.0.1:9/simple' is an option, not a requirement: skipped", result.Output);
        Assert.Contains($"the 1 requirement of {file}", result.Output);
    }

    // A line not met names the requirement, its file and line, what is installed, and the command that installs the file.
    [Theory]
    [InlineData("not-installed-anywhere>=1", "not-installed-anywhere is not installed", false)]
    [InlineData("not-installed-anywhere>=1", "not-installed-anywhere is not installed", true)]
    [InlineData("PyYAML>=99.0", "PyYAML 6.", false)]
    [InlineData("PyYAML>=99.0", "PyYAML 6.", true)]
    [InlineData("pyyaml<6", "pyyaml 6.", false)]
    [InlineData("pyyaml<6", "pyyaml 6.", true)]
    public async Task An_unmet_requirement_is_named_with_its_line_and_what_is_installed(string line, string installed, bool standardLibraryOnly)
    {
        using var standIn = RequireStandIn();
        var file = await WriteAsync(standIn, $"PyYAML>=6.0\n{line}\n");

        var result = await CheckAsync(standIn, file, standardLibraryOnly);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{line} ({file} line 2): {installed}", result.Output);
        Assert.DoesNotContain($"({file} line 1)", result.Output);
        Assert.Contains("installs nothing", result.Output);
        Assert.Contains($"-r {file}), or change those lines.", result.Output);
    }

    // A line whose environment marker excludes this Python is skipped, as pip would skip it, and said so.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_line_its_marker_excludes_is_skipped(bool standardLibraryOnly)
    {
        using var standIn = RequireStandIn();
        var file = await WriteAsync(standIn, "PyYAML>=6.0\nnot-installed-anywhere>=1 ; python_version < \"3\" or sys_platform == \"win32\"\n");

        var result = await CheckAsync(standIn, file, standardLibraryOnly);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"{file} line 2: 'not-installed-anywhere>=1 ; python_version < \"3\" or sys_platform == \"win32\"' does not apply here", result.Output);
        Assert.Contains($"the 1 requirement of {file}", result.Output);
    }

    private static AirflowStandIn RequireStandIn()
    {
        DebianPrerequisites.Require();
        using var yaml = Process.Start(new ProcessStartInfo(DebianPrerequisites.Python, ["-c", "import yaml"]) { RedirectStandardError = true })!;
        yaml.StandardError.ReadToEnd();
        yaml.WaitForExit();
        if (yaml.ExitCode != 0)
        {
            Assert.Skip($"Needs PyYAML for {DebianPrerequisites.Python} (Debian's python3-yaml): run tests/install-prerequisites.sh (as root; CI's .ci/run does).");
        }
        return AirflowStandIn.Create();
    }

    private static async Task<string> WriteAsync(AirflowStandIn standIn, string content)
    {
        var file = Path.Combine(standIn.Folder, "requirements.txt");
        await File.WriteAllTextAsync(file, content, TestContext.Current.CancellationToken);
        return file;
    }

    private static Task<(int ExitCode, string Output)> CheckAsync(AirflowStandIn standIn, string requirements, bool standardLibraryOnly)
    {
        var start = new ProcessStartInfo(Path.Combine(standIn.VirtualEnvironment, "bin", "python"),
            [Script, "--distribution", "apache-airflow", "--version", standIn.AirflowVersion, "--module", "airflow", "--executable", "airflow",
             "--requirements", requirements]);
        if (standardLibraryOnly)
        {
            start.Environment["AIRFLOWASPIRE_REQUIREMENTS_STDLIB_ONLY"] = "1";
        }
        return ProcessRun.RunAsync(start, TimeSpan.FromMinutes(2));
    }
}
