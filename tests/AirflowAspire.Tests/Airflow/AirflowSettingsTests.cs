using AirflowAspire.AppHost;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>A bad Airflow setting stops the AppHost at start, naming the setting and what it expects.</summary>
public sealed class AirflowSettingsTests
{
    [Theory]
    [InlineData("--Airflow:Version=2.10.5", "Airflow:Version", "an Airflow 3 release")]
    [InlineData("--Airflow:Version=latest", "Airflow:Version", "an Airflow 3 release")]
    [InlineData("--Airflow:PythonVersion=3.15", "Airflow:PythonVersion", "3.10 to 3.14")]
    [InlineData("--Airflow:PythonVersion=3.9", "Airflow:PythonVersion", "3.10 to 3.14")]
    [InlineData("--Airflow:Workers=0", "Airflow:Workers", "from 1 to 16")]
    [InlineData("--Airflow:Concurrency=0", "Airflow:Concurrency", "from 1 to 256")]
    [InlineData("--Airflow:Queues=a b", "Airflow:Queues", "queue names")]
    [InlineData("--Airflow:Database=mysql", "Airflow:Database", "sqlite or postgres")]
    [InlineData("--Airflow:VirtualEnvironment=/tmp", "Airflow:VirtualEnvironment", "it has no bin/airflow")]
    [InlineData("--Airflow:DagsFolder=/nonexistent/dags", "Airflow:DagsFolder", "an existing folder of DAG files")]
    [InlineData("--Airflow:Requirements=/nonexistent/requirements.txt", "Airflow:Requirements", "'/nonexistent/requirements.txt' is not valid: expected an existing requirements file")]
    // Values of the wrong type, which the configuration binder cannot convert, in each section that is bound.
    [InlineData("--Airflow:AlwaysMigrate=sometimes", "Airflow:AlwaysMigrate", "'sometimes' is not valid: expected true or false")]
    [InlineData("--Airflow:Concurrency=4.5", "Airflow:Concurrency", "'4.5' is not valid: expected a whole number")]
    [InlineData("--Dragonfly:Persistent=1", "Dragonfly:Persistent", "'1' is not valid: expected true or false")]
    [InlineData("--Dragonfly:MaxMemoryMiB=lots", "Dragonfly:MaxMemoryMiB", "'lots' is not valid: expected a whole number")]
    [InlineData("--Benchmark:Rounds=x", "Benchmark:Rounds", "'x' is not valid: expected a whole number")]
    public async Task Invalid_setting_stops_the_AppHost_naming_it(string argument, string setting, string expected)
    {
        var invalid = await AppHostModel.InvalidSettingAsync(argument);
        Assert.Equal(setting, invalid.Setting);
        Assert.Contains(expected, invalid.Message);
    }

    // A line whose commands, keys and REST API were not checked against its own files is refused, and so are 3.0.0 and 3.0.1.
    [Theory]
    [InlineData("3.4.0", "Airflow 3.4 is not one")]
    [InlineData("3.0.1", "[webserver] secret_key")]
    public async Task An_Airflow_version_the_AppHost_cannot_run_is_refused_with_the_reason(string version, string reason)
    {
        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:Version={version}");
        Assert.Equal("Airflow:Version", invalid.Setting);
        Assert.Contains(reason, invalid.Message);
        Assert.Contains("from 3.0.2, 3.1.0, 3.2.0, 3.3.0 on", invalid.Message);
    }

    // Each line takes the Pythons its constraints are made for.
    [Theory]
    [InlineData("3.0.3", "3.13", "3.9 to 3.12")]
    [InlineData("3.1.8", "3.14", "3.10 to 3.13")]
    [InlineData("3.2.2", "3.9", "3.10 to 3.13")]
    [InlineData("3.3.2", "3.15", "3.10 to 3.14")]
    public async Task A_Python_the_line_does_not_support_is_refused_naming_the_lines_range(string version, string python, string range)
    {
        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:Version={version}", $"--Airflow:PythonVersion={python}");
        Assert.Equal("Airflow:PythonVersion", invalid.Setting);
        Assert.Contains(range, invalid.Message);
    }

    // Every line from 3.0.2 to 3.3.x is installed with its own constraints, and with the Celery provider of #59707 kept out.
    [Theory]
    [InlineData("3.0.2", "3.9")]
    [InlineData("3.0.6", "3.12")]
    [InlineData("3.1.8", "3.13")]
    [InlineData("3.2.2", "3.12")]
    [InlineData("3.3.2", "3.14")]
    public async Task A_release_of_each_line_is_installed_with_its_own_constraints_and_no_Celery_provider_of_59707(string version, string python)
    {
        await using var app = await AppHostModel.BuildAsync($"--Airflow:Version={version}", $"--Airflow:PythonVersion={python}");

        var install = (await app.ArgumentsAsync(app.Resource<AirflowAspire.AppHost.Python.PythonEnvironmentResource>("airflow-env"))).ToList();
        Assert.Contains($"apache-airflow[celery]=={version}", install);
        Assert.Contains($"https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{python}.txt", install);
        Assert.Equal("apache-airflow-providers-celery>=3.14.0,<3.19.0", install[install.IndexOf("--avoid") + 1]);
    }

    [Fact]
    public async Task Existing_environment_is_checked_from_its_metadata_instead_of_installing()
    {
        using var venv = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(venv.Path, "bin"));
        File.WriteAllText(Path.Combine(venv.Path, "bin", "airflow"), "#!/bin/sh\necho 3.0.3\n");

        await using var app = await AppHostModel.BuildAsync($"--Airflow:VirtualEnvironment={venv.Path}", "--Airflow:Version=3.2.2");
        var environment = app.Resource<AirflowAspire.AppHost.Python.PythonEnvironmentResource>("airflow-env");

        // Its own python reads what is installed (no `airflow version`, which imports all of Airflow): Airflow at exactly
        // Airflow:Version, its module and executable, and no Celery provider of #59707.
        Assert.Equal(Path.Combine(venv.Path, "bin", "python"), environment.Command);
        var check = (await app.ArgumentsAsync(environment)).ToList();
        Assert.EndsWith("check_environment.py", check[0]);
        Assert.Equal(["--distribution", "apache-airflow", "--version", "3.2.2", "--setting", "Airflow:Version", "--module", "airflow", "--executable", "airflow",
            "--avoid", "apache-airflow-providers-celery>=3.14.0,<3.19.0"], check.Skip(1).Take(12));
        Assert.Contains("apache/airflow#59707", check[^1]);
        Assert.Equal(Path.Combine(venv.Path, "bin", "airflow"), app.Resource<AirflowAspire.AppHost.Airflow.AirflowProcessResource>("airflow-scheduler").Command);
    }

    // Airflow:Requirements, relative to the repository's top, reaches the environment step, whether it installs or checks.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_requirements_file_reaches_the_environment_step_from_the_repository_top(bool existing)
    {
        using var venv = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(venv.Path, "bin"));
        File.WriteAllText(Path.Combine(venv.Path, "bin", "airflow"), "#!/bin/sh\n");
        string[] environmentSetting = existing ? [$"--Airflow:VirtualEnvironment={venv.Path}"] : [];

        await using var app = await AppHostModel.BuildAsync([.. environmentSetting, "--Airflow:Requirements=tests/SampleProject/requirements.txt"]);
        var args = (await app.ArgumentsAsync(app.Resource<AirflowAspire.AppHost.Python.PythonEnvironmentResource>("airflow-env"))).ToList();

        var top = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."));
        Assert.Contains(existing ? "check_environment.py" : "install_environment.py", string.Join(' ', args));
        Assert.Equal(Path.Combine(top, "tests", "SampleProject", "requirements.txt"), args[args.IndexOf("--requirements") + 1]);
    }
}
