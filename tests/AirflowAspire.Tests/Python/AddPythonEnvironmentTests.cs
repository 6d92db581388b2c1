using AirflowAspire.AppHost.Python;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Python;

/// <summary>The Python integration on its own: the environment step's command line and what it needs on the machine.</summary>
public sealed class AddPythonEnvironmentTests
{
    [Fact]
    public async Task The_installer_is_told_the_program_the_AppHost_chose_and_reads_the_requirement_when_it_starts()
    {
        var builder = BareBuilder.Create();
        var venv = new VirtualEnvironment("/tmp/venv-under-test");
        var environment = builder.AddPythonEnvironment("env", venv, "3.12", "pip==24.0", "constraints.txt");
        environment.Resource.Requirement = "pip==25.0";

        using var app = builder.Build();
        var args = (await app.ArgumentsAsync(environment.Resource)).ToList();

        // One decision: uv when it is on PATH (then it also runs the script), else python3 and pip.
        var installer = args[args.IndexOf("--installer") + 1];
        Assert.Equal(Path.GetFileName(environment.Resource.Command) == "uv" ? "uv" : "pip", installer);
        Assert.Equal("pip==25.0", args[args.IndexOf("--requirement") + 1]);
        Assert.Equal([venv.Location, "3.12", "constraints.txt"],
            [args[args.IndexOf("--venv") + 1], args[args.IndexOf("--python-version") + 1], args[args.IndexOf("--constraint") + 1]]);
        // Aspire checks the program before the start and says where to get it when it is missing.
#pragma warning disable ASPIRECOMMAND001 // Experimental in 13.6.
        Assert.Equal(environment.Resource.Command, environment.Resource.Annotations.OfType<RequiredCommandAnnotation>().Single().Command);
#pragma warning restore ASPIRECOMMAND001
    }

    // Airflow:Requirements reaches both scripts: the installer puts the file in the same install, the check reads it against the environment.
    [Fact]
    public async Task A_requirements_file_is_passed_to_the_installer_and_to_the_check_and_left_out_when_unset()
    {
        var builder = BareBuilder.Create();
        var venv = new VirtualEnvironment("/tmp/venv-under-test");
        var install = builder.AddPythonEnvironment("install", venv, "3.12", "pip", "constraints.txt").WithRequirementsFile("/tmp/requirements.txt");
        var check = builder.AddExistingPythonEnvironment("check", venv, "apache-airflow", "3.0.3", "Airflow:Version", "airflow", "airflow")
            .WithRequirementsFile("/tmp/requirements.txt");
        var installWithout = builder.AddPythonEnvironment("install-without", venv, "3.12", "pip", "constraints.txt").WithRequirementsFile(null);
        var checkWithout = builder.AddExistingPythonEnvironment("check-without", venv, "apache-airflow", "3.0.3", "Airflow:Version", "airflow", "airflow");

        using var app = builder.Build();

        foreach (var resource in new[] { install.Resource, check.Resource })
        {
            var args = (await app.ArgumentsAsync(resource)).ToList();
            Assert.Equal("/tmp/requirements.txt", args[args.IndexOf("--requirements") + 1]);
        }
        Assert.EndsWith("install_environment.py", (await app.ArgumentsAsync(install.Resource)).First(a => a.EndsWith(".py", StringComparison.Ordinal)));
        Assert.EndsWith("check_environment.py", (await app.ArgumentsAsync(check.Resource))[0]);
        foreach (var resource in new[] { installWithout.Resource, checkWithout.Resource })
        {
            Assert.DoesNotContain("--requirements", await app.ArgumentsAsync(resource));
        }
    }
}
