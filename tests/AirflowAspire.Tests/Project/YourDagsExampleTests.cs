using System.Text.Json;
using AirflowAspire.AppHost.Airflow.DagFiles;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Project;

/// <summary>
/// <para>
/// <b>The example to copy for your own DAGs.</b> It starts the real AppHost with
/// <see cref="DistributedApplicationTestingBuilder"/> on a project folder (here <c>tests/SampleProject</c>: DAGs, plugins,
/// requirements, connections, variables, pools), lets the Verifier run the DAGs it is told to (<c>Verifier:Dags=tag:sample</c>)
/// and asserts on the Verifier's JSON report: each chosen DAG's state, the failed task with its cause, and the files that
/// did not import. The test fails when a DAG of yours fails or a file of yours stops importing.
/// </para>
/// <para>
/// To copy it: point <see cref="Project"/> at your project, keep the <c>--Airflow:…</c> settings you use, and drop the
/// <see cref="AirflowStandIn"/> lines: CI here has no PyPI, so Airflow is played by the stand-in (tests/AirflowStandIn) and
/// Dragonfly by the Dragonfly stand-in. On your machine the AppHost installs Airflow itself (or give
/// <c>--Airflow:VirtualEnvironment=PATH</c>), and Dragonfly runs in a container. Then
/// <c>dotnet test --filter "FullyQualifiedName~YourDags"</c>.
/// </para>
/// </summary>
public sealed class YourDagsExampleTests
{
    /// <summary>Your project folder: DAGs in <c>dags/</c>, the rest beside them.</summary>
    private static readonly string Project = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "SampleProject"));

    /// <summary>Start, the environment step (a check here), the migration, the imports, every DAG run: well within this.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    private static string[] ProjectSettings(string project) =>
    [
        $"--Airflow:DagsFolder={project}/dags",
        $"--Airflow:PluginsFolder={project}/plugins",
        $"--Airflow:Requirements={project}/requirements.txt",
        $"--Airflow:Connections={project}/connections.json",
        $"--Airflow:Variables={project}/variables.json",
        $"--Airflow:Pools={project}/pools.json",
        // Every DAG tagged "sample" is unpaused, triggered and proven, each with its own section in the report.
        "--Verifier:Dags=tag:sample",
        """--Verifier:Conf:inventory_sync={"items": 5}""",
    ];

    [Fact]
    public async Task The_projects_DAGs_run_on_Celery_and_the_report_names_the_failing_DAG_and_the_file_that_does_not_import()
    {
        DebianPrerequisites.Require();                    // stand-in only
        using var standIn = AirflowStandIn.Create();       // stand-in only: drop it, and its arguments below, in your copy
        var ct = TestContext.Current.CancellationToken;

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([.. standIn.AppHostArguments, .. ProjectSettings(Project)], ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);

        // The Verifier ends once every chosen DAG's run has ended; its report is written beside AIRFLOW_HOME
        // (.airflow/verifier-report.json by default).
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(Bound);
        var verifier = await app.ResourceNotifications.WaitForResourceAsync("verifier",
            e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), bound.Token);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(standIn.ReportPath, ct));
        var root = report.RootElement;

        // The two DAGs that should pass did, on a worker queue, with the connection, the variable, the plugin's helper,
        // the requirement and the pool they use.
        foreach (var passing in new[] { "sales_report", "inventory_sync" })
        {
            var dag = Dag(root, passing);
            Assert.True(dag.GetProperty("passed").GetBoolean(), $"{passing}: {dag}");
            Assert.Equal("success", dag.GetProperty("state").GetString());
        }
        // The one that fails on purpose is named, with its failed task and the exception it raised.
        var failing = Dag(root, "nightly_cleanup");
        Assert.False(failing.GetProperty("passed").GetBoolean());
        Assert.Equal("failed", failing.GetProperty("state").GetString());
        var task = Assert.Single(failing.GetProperty("failed_tasks").EnumerateArray());
        Assert.Equal("delete_old_files", task.GetProperty("task_id").GetString());
        Assert.Contains("PermissionError", task.GetProperty("cause").GetString());
        Assert.Contains("read-only file system", task.GetProperty("cause").GetString());
        Assert.NotEmpty(task.GetProperty("log_tail").EnumerateArray());

        // Every file was parsed by the dag-processor; the one that does not import is named with Airflow's error and line.
        var parse = root.GetProperty("parse");
        Assert.Equal(4, parse.GetProperty("dag_count").GetInt32()); // three of the project's and the stack's own hello_dragonfly
        var importError = Assert.Single(parse.GetProperty("import_errors").EnumerateArray());
        // Airflow's own name for it: the absolute path on 3.0 (as the stand-in plays here, and real 3.0.3 gave), relative to
        // the DAGs folder on later lines.
        Assert.EndsWith("weekly_forecast.py", importError.GetProperty("filename").GetString());
        Assert.Equal(10, importError.GetProperty("line").GetInt32());
        Assert.Equal("NameError: name 'compute_forecast_weeks' is not defined", importError.GetProperty("error").GetString());

        // The stack itself is proven (hello_dragonfly's checks): only the DAG that fails on purpose fails the verdict.
        var failed = root.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean())
            .Select(c => c.GetProperty("name").GetString()!)
            .Where(name => name != "broker-is-dragonfly") // stand-in only: the Dragonfly stand-in serves with Garnet
            .ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, name => Assert.EndsWith(":nightly_cleanup", name));
        Assert.Equal(1, verifier.Snapshot.ExitCode);
    }

    [Fact]
    public async Task The_deployments_row_shows_the_DAG_count_and_import_errors_and_a_file_saved_with_an_error_within_seconds()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        // A copy: this test writes a new file into the DAGs folder while the stack runs.
        using var project = new TemporaryFolder();
        CopyFolder(Project, project.Path);

        await using var app = await RunningAppHost.StartAsync(Bound, [.. standIn.AppHostArguments, .. ProjectSettings(project.Path)]);
        var verified = await app.WaitForStateAsync("verifier", Bound, "Finished", "Exited", "FailedToStart");
        Assert.Equal(1, verified.Snapshot.ExitCode);
        var row = await WaitForRowAsync(app, text => text.StartsWith("Not verified", StringComparison.Ordinal) && text.Contains("; 4 DAGs", StringComparison.Ordinal), Bound);
        Assert.EndsWith("; 4 DAGs, 1 import error (dags/weekly_forecast.py)", row.State?.Text);
        Assert.Equal(4, Property(row, DeploymentRow.DagCountProperty));

        // Saved while the stack runs: the dag-processor finds it at its next refresh (5 s here) and the row says so.
        await File.WriteAllTextAsync(Path.Combine(project.Path, "dags", "late_arrival.py"),
            "from airflow.sdk import DAG\n\nwith DAG(dag_id='late_arrival', schedule=None):\n    undefined_operator()\n", TestContext.Current.CancellationToken);
        var saved = DateTime.UtcNow;
        row = await WaitForRowAsync(app, text => text.Contains("2 import errors", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.EndsWith("; 4 DAGs, 2 import errors (dags/late_arrival.py, dags/weekly_forecast.py)", row.State?.Text);
        // About 7 s here: the dag-processor's refresh (5 s), the parse, the row's read (every 2 s). A wide margin for a busy machine.
        var shownAfter = DateTime.UtcNow - saved;
        TestContext.Current.TestOutputHelper?.WriteLine($"The row named the new file {shownAfter.TotalSeconds:0.0} s after it was saved.");
        Assert.True(shownAfter < TimeSpan.FromSeconds(30), $"shown {shownAfter.TotalSeconds:0.0} s after the file was saved");
    }

    private static JsonElement Dag(JsonElement report, string dagId)
        => report.GetProperty("dags").EnumerateArray().SingleOrDefault(d => d.GetProperty("dag_id").GetString() == dagId) is { ValueKind: JsonValueKind.Object } dag
            ? dag
            : throw new Xunit.Sdk.XunitException($"The report has no section for {dagId}: {report}");

    private static async Task<CustomResourceSnapshot> WaitForRowAsync(RunningAppHost app, Func<string, bool> predicate, TimeSpan timeout)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(timeout);
        try
        {
            return (await app.App.ResourceNotifications.WaitForResourceAsync("airflow", e => e.Snapshot.State?.Text is { } text && predicate(text), bound.Token)).Snapshot;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            app.App.ResourceNotifications.TryGetCurrentState("airflow", out var last);
            throw new TimeoutException($"The airflow row never matched within {timeout}; it says '{last?.Snapshot.State?.Text}'.");
        }
    }

    private static object? Property(CustomResourceSnapshot snapshot, string name) => snapshot.Properties.Single(p => p.Name == name).Value;

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.Contains("__pycache__", StringComparison.Ordinal)))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
