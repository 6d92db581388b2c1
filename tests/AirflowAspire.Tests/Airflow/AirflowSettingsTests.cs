using AirflowAspire.AppHost;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>A bad Airflow setting stops the AppHost at start, naming the setting and what it expects.</summary>
public sealed class AirflowSettingsTests
{
    [Theory]
    [InlineData("--Airflow:Version=2.10.5", "Airflow:Version", "an Airflow 3 release")]
    [InlineData("--Airflow:Version=latest", "Airflow:Version", "an Airflow 3 release")]
    [InlineData("--Airflow:PythonVersion=3.13", "Airflow:PythonVersion", "3.9 to 3.12")]
    [InlineData("--Airflow:PythonVersion=3.8", "Airflow:PythonVersion", "3.9 to 3.12")]
    [InlineData("--Airflow:Workers=0", "Airflow:Workers", "from 1 to 16")]
    [InlineData("--Airflow:Concurrency=0", "Airflow:Concurrency", "from 1 to 256")]
    [InlineData("--Airflow:Queues=a b", "Airflow:Queues", "queue names")]
    [InlineData("--Airflow:Database=mysql", "Airflow:Database", "sqlite or postgres")]
    [InlineData("--Airflow:VirtualEnvironment=/tmp", "Airflow:VirtualEnvironment", "it has no bin/airflow")]
    [InlineData("--Airflow:DagsFolder=/nonexistent/dags", "Airflow:DagsFolder", "an existing folder of DAG files")]
    public async Task Invalid_setting_stops_the_AppHost_naming_it(string argument, string setting, string expected)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync(argument));

        var invalid = Assert.IsType<InvalidSettingException>(exception.GetBaseException());
        Assert.Equal(setting, invalid.Setting);
        Assert.Contains(expected, invalid.Message);
    }

    // Every line the settings accept runs tasks: the lines whose pinned Celery provider has the duplicate-hostname check
    // (workers named with --celery-hostname reserve tasks and never run them) are refused naming it, and so are the lines
    // whose files this project has not checked.
    [Theory]
    [InlineData("3.1.5", "apache/airflow#59707")]
    [InlineData("3.1.8", "apache/airflow#59707")]
    [InlineData("3.2.0", "apache/airflow#59707")]
    [InlineData("3.2.1", "provider 3.19.0")]
    [InlineData("3.2.2", "has not checked")]
    [InlineData("3.3.2", "apache/airflow#73583")]
    [InlineData("3.0.1", "[webserver] secret_key")]
    public async Task An_Airflow_version_the_AppHost_cannot_run_tasks_on_is_refused_with_the_reason(string version, string reason)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync($"--Airflow:Version={version}"));

        var invalid = Assert.IsType<InvalidSettingException>(exception.GetBaseException());
        Assert.Equal("Airflow:Version", invalid.Setting);
        Assert.Contains(reason, invalid.Message);
        Assert.Contains("3.0.2 or a later 3.0.x", invalid.Message);
    }

    [Theory]
    [InlineData("3.0.2", "3.9")]
    [InlineData("3.0.6", "3.12")]
    public async Task A_3_0_release_from_3_0_2_on_is_installed_with_its_own_constraints(string version, string python)
    {
        await using var app = await AppHostModel.BuildAsync($"--Airflow:Version={version}", $"--Airflow:PythonVersion={python}");

        var install = await app.ArgumentsAsync(app.Resource<AirflowAspire.AppHost.Python.PythonEnvironmentResource>("airflow-env"));
        Assert.Contains($"apache-airflow[celery]=={version}", install);
        Assert.Contains($"https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{python}.txt", install);
    }

    [Fact]
    public async Task Existing_environment_is_checked_by_running_its_airflow_instead_of_installing()
    {
        using var venv = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(venv.Path, "bin"));
        File.WriteAllText(Path.Combine(venv.Path, "bin", "airflow"), "#!/bin/sh\necho 3.0.3\n");

        await using var app = await AppHostModel.BuildAsync($"--Airflow:VirtualEnvironment={venv.Path}");
        var environment = app.Resource<AirflowAspire.AppHost.Python.PythonEnvironmentResource>("airflow-env");

        Assert.Equal(Path.Combine(venv.Path, "bin", "airflow"), environment.Command);
        Assert.Equal(["version"], await app.ArgumentsAsync(environment));
        // Airflow writes airflow.cfg into AIRFLOW_HOME at import: the deployment's home, never ~/airflow.
        Assert.Equal(AirflowAspire.AppHost.RepositoryPaths.Resolve(".airflow/home", Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."))),
            (await app.EnvironmentAsync(environment))["AIRFLOW_HOME"]);
        Assert.Equal(Path.Combine(venv.Path, "bin", "airflow"), app.Resource<AirflowAspire.AppHost.Airflow.AirflowProcessResource>("airflow-scheduler").Command);
    }
}
