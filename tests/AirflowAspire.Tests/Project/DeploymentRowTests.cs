using AirflowAspire.AppHost.Airflow.DagFiles;

namespace AirflowAspire.Tests.Project;

/// <summary>The deployment's row at a glance: the Verifier's verdict, the DAG count and the files that did not import.</summary>
public sealed class DeploymentRowTests
{
    [Fact]
    public void A_verdict_and_the_DAG_files_make_one_state_and_an_import_error_turns_Verified_into_a_warning()
    {
        var state = DeploymentRow.Compose(new("Verified", KnownResourceStateStyles.Success), new(4, ["dags/weekly_forecast.py"]), "Configured");

        Assert.Equal("Verified; 4 DAGs, 1 import error (dags/weekly_forecast.py)", state.Text);
        Assert.Equal(KnownResourceStateStyles.Warn, state.Style);
    }

    [Fact]
    public void Without_import_errors_Verified_stays_a_success_and_Not_verified_an_error()
    {
        Assert.Equal(("Verified; 12 DAGs", KnownResourceStateStyles.Success),
            Text(DeploymentRow.Compose(new("Verified", KnownResourceStateStyles.Success), new(12, []), "Configured")));
        Assert.Equal(("Not verified: dag-run-succeeded:nightly_cleanup; 1 DAG, 2 import errors (dags/a.py, dags/b.py)", KnownResourceStateStyles.Error),
            Text(DeploymentRow.Compose(new("Not verified: dag-run-succeeded:nightly_cleanup", KnownResourceStateStyles.Error), new(1, ["dags/a.py", "dags/b.py"]), "x")));
    }

    [Fact]
    public void Before_any_verdict_the_row_keeps_its_state_and_adds_the_DAG_files()
    {
        Assert.Equal("Configured; 3 DAGs", DeploymentRow.Compose(null, new(3, []), "Configured").Text);
        Assert.Equal("Verifying", DeploymentRow.Compose(new("Verifying", KnownResourceStateStyles.Info), null, "Configured").Text);
    }

    [Fact]
    public void Many_files_with_errors_are_named_up_to_three_then_counted()
    {
        Assert.Equal("5 DAGs, 5 import errors (dags/a.py, dags/b.py, dags/c.py and 2 more)",
            new DagFilesSummary(5, ["dags/a.py", "dags/b.py", "dags/c.py", "dags/d.py", "dags/e.py"]).ToString());
    }

    [Theory]
    [InlineData("sales.py", "dags-folder", "/home/me/project/dags", "dags/sales.py")]
    [InlineData("team/sales.py", null, "/home/me/project/pipelines/", "pipelines/team/sales.py")]
    [InlineData("hello_dragonfly.py", "airflowaspire", "/home/me/project/dags", "airflowaspire/hello_dragonfly.py")]
    // Airflow 3.0 records the absolute path (seen on real 3.0.3): shown the same way inside the DAGs folder, as it is outside.
    [InlineData("/home/me/project/dags/sales.py", "dags-folder", "/home/me/project/dags", "dags/sales.py")]
    [InlineData("/home/me/project/dags/team/sales.py", "dags-folder", "/home/me/project/dags/", "dags/team/sales.py")]
    [InlineData("/home/me/other/sales.py", "dags-folder", "/home/me/project/dags", "/home/me/other/sales.py")]
    [InlineData("/repo/airflow/dags/hello_dragonfly.py", "airflowaspire", "/home/me/project/dags", "/repo/airflow/dags/hello_dragonfly.py")]
    public void A_file_is_named_under_its_DAGs_folder_or_its_bundle(string filename, string? bundle, string dagsFolder, string expected)
        => Assert.Equal(expected, DagFilesSummary.DisplayName(filename, bundle, dagsFolder));

    private static (string, string?) Text(ResourceStateSnapshot state) => (state.Text, state.Style);
}
