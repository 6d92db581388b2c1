using System.Text.Json;
using System.Text.Json.Nodes;
using AirflowAspire.Tests.Contract;
using AirflowAspire.Tests.Fixtures;
using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using AirflowAspire.Verifier.Verification;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// The Verifier proving the user's own DAGs (<c>Verifier:Dags</c>) after its own hello_dragonfly, against
/// <see cref="FakeAirflow"/> held to Airflow 3.0.3's OpenAPI document: ids and tags chosen, each run's conf sent, a
/// section per DAG with each failed task's cause and log tail, the parse report, and a failed check naming the setting
/// for each bad input. The DAGs are those of tests/SampleProject.
/// </summary>
public sealed class ChosenDagsTests : IAsyncLifetime
{
    private readonly GarnetServer _server = new("broker-password");
    private ConnectionMultiplexer _redis = null!;

    public async ValueTask InitializeAsync()
        => _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port},password={_server.Password},allowAdmin=true");

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        _server.Dispose();
    }

    // What Airflow 3.0.3's API answers for nightly_cleanup's failed task: the task runner's "Task failed with exception"
    // record, whose exception the supervisor turned into error_detail (structlog's dict traceback), then the supervisor's lines.
    private static JsonNode[] PermissionErrorLog() =>
    [
        JsonNode.Parse("""{"timestamp": "2026-11-25T10:00:01.000000Z", "event": "DAG bundles loaded: dags-folder", "level": "info", "logger": "airflow.dag_processing.bundles.manager.DagBundlesManager"}""")!,
        JsonNode.Parse("""
            {"timestamp": "2026-11-25T10:00:01.200000Z", "event": "Task failed with exception", "level": "error", "logger": "task",
             "error_detail": [{"exc_type": "PermissionError", "exc_value": "cannot delete /archive/2024: read-only file system", "exc_notes": [],
               "syntax_error": null, "is_cause": false, "is_group": false, "exceptions": [],
               "frames": [
                 {"filename": "/usr/lib/python3/dist-packages/airflow/sdk/execution_time/task_runner.py", "lineno": 838, "name": "run"},
                 {"filename": "/usr/lib/python3/dist-packages/airflow/sdk/bases/decorator.py", "lineno": 251, "name": "execute"},
                 {"filename": "/opt/airflow/dags/nightly_cleanup.py", "lineno": 17, "name": "delete_old_files"}]}]}
            """)!,
        JsonNode.Parse("""{"timestamp": "2026-11-25T10:00:01.300000Z", "event": "Task instance in failure state", "level": "info", "logger": "task.stdout"}""")!,
    ];

    private static readonly FakeUserDag SalesReport = new("sales_report", ["sample"], [new FakeUserTask("build_report")]);
    private static readonly FakeUserDag InventorySync = new("inventory_sync", ["sample"],
        [new FakeUserTask("count_items"), new FakeUserTask("sync_items", Pool: "inventory_pool")]);
    private static readonly FakeUserDag NightlyCleanup = new("nightly_cleanup", ["sample"],
        [new FakeUserTask("list_old_files"), new FakeUserTask("delete_old_files", "failed", PermissionErrorLog()), new FakeUserTask("report_cleanup", "upstream_failed")]);

    // weekly_forecast.py as the dag-processor records it: traceback.format_exc(limit=-2) ([core] dagbag_import_error_traceback_depth).
    private const string WeeklyForecastTrace = """
        Traceback (most recent call last):
          File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed
          File "/opt/airflow/dags/weekly_forecast.py", line 10, in <module>
            FORECAST_WEEKS = compute_forecast_weeks()
                             ^^^^^^^^^^^^^^^^^^^^^^
        NameError: name 'compute_forecast_weeks' is not defined

        """;

    private FakeAirflow SampleProject(params FakeUserDag[] dags) => new(AirflowOpenApi.Load("3.0"), _redis)
    {
        UserDags = [.. dags.Length == 0 ? [SalesReport, InventorySync, NightlyCleanup] : dags],
        OtherImportErrors = [("weekly_forecast.py", WeeklyForecastTrace)],
    };

    private static VerifierOptions Options(string dags, TimeSpan? dagTimeout = null, TimeSpan? runTimeout = null, bool failOnImportErrors = false,
        Dictionary<string, string>? conf = null, TimeSpan? tagSettleTime = null) => new()
    {
        Password = FakeAirflow.Password, PollInterval = TimeSpan.FromMilliseconds(5), HealthTimeout = TimeSpan.FromSeconds(30),
        TagSettleTime = tagSettleTime ?? TimeSpan.FromMilliseconds(50),
        DagTimeout = dagTimeout ?? TimeSpan.FromSeconds(30), RunTimeout = runTimeout ?? TimeSpan.FromSeconds(30),
        Dags = dags, FailOnImportErrors = failOnImportErrors, Conf = conf ?? [],
    };

    private Task<VerificationReport> VerifyAsync(FakeAirflow airflow, VerifierOptions options)
    {
        var client = new AirflowClient(new HttpClient(airflow) { BaseAddress = new Uri("http://airflow-api") });
        return new AirflowVerification(client, new CeleryBrokerInspector(_redis, 0, 1), options, NullLogger.Instance).RunAsync(TestContext.Current.CancellationToken);
    }

    private static Check Single(VerificationReport report, string name) => Assert.Single(report.Checks, c => c.Name == name);

    private static string Lines(VerificationReport report) => string.Join('\n', report.Lines());

    [Fact]
    public async Task Chosen_ids_and_a_tags_DAGs_each_run_after_hello_dragonfly_with_their_conf_and_get_a_section()
    {
        var airflow = SampleProject(SalesReport, InventorySync);

        var report = await VerifyAsync(airflow, Options("sales_report, tag:sample", conf: new() { ["inventory_sync"] = """{"items": 5}""" }));

        Assert.True(airflow.ContractViolations.Count == 0, string.Join("\n", airflow.ContractViolations));
        // Every check but the broker's identity (Garnet is not Dragonfly) holds, hello_dragonfly's as before.
        Assert.All(report.Checks.Where(c => c.Name != "broker-is-dragonfly"), c => Assert.True(c.Passed, $"{c.Name}: {c.Seen} / {c.Cause}"));
        Assert.True(Single(report, "run-succeeded").Passed);
        foreach (var check in new[] { "dag-parsed:sales_report", "dag-tag:sample", "dag-unpaused:inventory_sync", "dag-run-succeeded:sales_report",
            "dag-run-succeeded:inventory_sync", "dag-tasks-succeeded:inventory_sync", "dag-tasks-on-worker-queues:inventory_sync", "dag-tasks-ran-on-a-host:inventory_sync" })
        {
            Assert.True(Single(report, check).Passed, check);
        }
        Assert.Equal([("sales_report", "id"), ("inventory_sync", "tag:sample")], report.Dags.Select(d => (d.DagId, d.ChosenBy)));
        Assert.All(report.Dags, d => Assert.True(d.Passed && d.State == "success" && d.RunId is not null, d.DagId));
        Assert.Equal(["count_items", "sync_items"], report.Dags[1].Tasks.Select(t => t.TaskId));
        // The conf reaches the trigger body; a DAG without one is triggered with {}.
        var inventory = Assert.Single(airflow.TriggerBodies, b => b.DagId == "inventory_sync").Body;
        Assert.Equal(5, inventory["conf"]!["items"]!.GetValue<int>());
        Assert.Equal("{}", Assert.Single(airflow.TriggerBodies, b => b.DagId == "sales_report").Body["conf"]!.ToJsonString());
        // The user's DAGs run after hello_dragonfly's run ended, so its broker checks count its own traces only.
        var helloEnded = airflow.Requests.FindLastIndex(r => r.StartsWith("GET /api/v2/dags/hello_dragonfly/dagRuns/", StringComparison.Ordinal));
        Assert.True(helloEnded < airflow.Requests.FindIndex(r => r.StartsWith("POST /api/v2/dags/sales_report/dagRuns", StringComparison.Ordinal)));
        Assert.Contains(report.Lines(), l => l.StartsWith("PASSED DAG inventory_sync (tag:sample): run verifier__", StringComparison.Ordinal));
        Assert.Contains("Chosen DAGs: 2 passed (sales_report, inventory_sync).", report.Lines().Last());
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(0, false)]
    public async Task A_tagged_DAG_whose_file_is_parsed_after_the_tags_first_answer_is_run_once_the_selection_has_settled(int settleMilliseconds, bool runsBoth)
    {
        // inventory_sync's file is parsed later: the first answers for tag:sample have sales_report alone.
        var airflow = SampleProject(SalesReport, InventorySync with { ListedAfter = 5 });

        var report = await VerifyAsync(airflow, Options("tag:sample", tagSettleTime: TimeSpan.FromMilliseconds(settleMilliseconds)));

        // Without a settle time the tag is taken at its first answer, and inventory_sync is missed.
        Assert.Equal(runsBoth ? ["sales_report", "inventory_sync"] : ["sales_report"], report.Dags.Select(d => d.DagId));
    }

    [Fact]
    public async Task A_DAG_whose_branch_skipped_a_task_passes_as_its_successful_run_says()
    {
        var branching = new FakeUserDag("choose_region", ["sample"], [new FakeUserTask("pick"), new FakeUserTask("emea"), new FakeUserTask("apac", "skipped")]);
        var airflow = SampleProject(branching);

        var report = await VerifyAsync(airflow, Options("choose_region"));

        Assert.True(Single(report, "dag-run-succeeded:choose_region").Passed);
        Assert.True(Single(report, "dag-tasks-succeeded:choose_region").Passed, Single(report, "dag-tasks-succeeded:choose_region").Seen);
        Assert.True(Single(report, "dag-tasks-ran-on-a-host:choose_region").Passed);
        var section = Assert.Single(report.Dags);
        Assert.True(section.Passed);
        Assert.Empty(section.FailedTasks);
    }

    [Fact]
    public async Task A_failing_DAG_fails_the_verdict_with_its_tasks_exception_file_and_line_and_its_log_tail()
    {
        var airflow = SampleProject();

        var report = await VerifyAsync(airflow, Options("tag:sample"));

        Assert.Empty(airflow.ContractViolations);
        Assert.False(report.Passed);
        var run = Single(report, "dag-run-succeeded:nightly_cleanup");
        Assert.False(run.Passed);
        Assert.Equal("state failed", run.Seen);
        Assert.Equal("task delete_old_files failed: PermissionError: cannot delete /archive/2024: read-only file system "
            + "(at /opt/airflow/dags/nightly_cleanup.py:17 in delete_old_files)", run.Cause);
        Assert.False(Single(report, "dag-tasks-succeeded:nightly_cleanup").Passed);
        // upstream_failed never ran: no host is expected of it.
        Assert.True(Single(report, "dag-tasks-ran-on-a-host:nightly_cleanup").Passed, Single(report, "dag-tasks-ran-on-a-host:nightly_cleanup").Seen);
        Assert.True(Single(report, "dag-run-succeeded:sales_report").Passed);

        var section = Assert.Single(report.Dags, d => d.DagId == "nightly_cleanup");
        Assert.False(section.Passed);
        Assert.Equal("failed", section.State);
        Assert.True(report.Dags.Single(d => d.DagId == "sales_report").Passed);
        var failed = section.FailedTasks.Single(f => f.TaskId == "delete_old_files");
        Assert.Equal("failed", failed.State);
        Assert.StartsWith("PermissionError: cannot delete /archive/2024", failed.Cause);
        Assert.Contains("[error] Task failed with exception", failed.LogTail);
        Assert.Contains("  File \"/opt/airflow/dags/nightly_cleanup.py\", line 17, in delete_old_files", failed.LogTail);
        Assert.Equal("[info] Task instance in failure state", failed.LogTail[^1]);
        Assert.DoesNotContain(failed.LogTail, l => l.StartsWith("::group::", StringComparison.Ordinal));
        Assert.Contains("an upstream task did not succeed (delete_old_files)", section.FailedTasks.Single(f => f.TaskId == "report_cleanup").Cause);

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("failed", json.RootElement.GetProperty("verdict").GetString());
        var dag = json.RootElement.GetProperty("dags").EnumerateArray().Single(d => d.GetProperty("dag_id").GetString() == "nightly_cleanup");
        Assert.False(dag.GetProperty("passed").GetBoolean());
        Assert.Equal("failed", dag.GetProperty("state").GetString());
        Assert.Equal(3, dag.GetProperty("tasks").GetArrayLength());
        var entry = dag.GetProperty("failed_tasks")[0];
        Assert.Equal("delete_old_files", entry.GetProperty("task_id").GetString());
        Assert.Contains("PermissionError", entry.GetProperty("cause").GetString());
        Assert.True(entry.GetProperty("log_tail").GetArrayLength() > 3);
        // The logged block: the DAG, its failed task's cause, its log tail.
        var lines = report.Lines().ToList();
        var header = lines.FindIndex(l => l.StartsWith("FAILED DAG nightly_cleanup (tag:sample): run verifier__", StringComparison.Ordinal));
        Assert.True(header >= 0, Lines(report));
        Assert.StartsWith("     task delete_old_files failed: PermissionError", lines[header + 1]);
        Assert.StartsWith("       | ", lines[header + 2]);
        Assert.Contains("Chosen DAGs failed: nightly_cleanup (2 of 3 passed).", lines[^1]);
    }

    [Fact]
    public async Task The_parse_report_gives_the_DAG_count_and_each_import_errors_line_and_text_without_failing_the_verdict()
    {
        var airflow = SampleProject(SalesReport, InventorySync);

        var report = await VerifyAsync(airflow, Options("tag:sample"));

        Assert.Empty(airflow.ContractViolations);
        var parse = Assert.IsType<ParseReport>(report.Parse);
        Assert.Equal(3, parse.DagCount); // hello_dragonfly, sales_report, inventory_sync
        var error = Assert.Single(parse.ImportErrors);
        Assert.Equal(new ImportErrorReport("weekly_forecast.py", 10, "NameError: name 'compute_forecast_weeks' is not defined"), error);
        Assert.DoesNotContain(report.Checks, c => c.Name.StartsWith("import-error", StringComparison.Ordinal));
        Assert.All(report.Checks.Where(c => c.Name != "broker-is-dragonfly"), c => Assert.True(c.Passed, c.Name));
        Assert.Contains("IMPORT ERROR weekly_forecast.py:10: NameError: name 'compute_forecast_weeks' is not defined", report.Lines());
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, VerificationReport.LevelOf("IMPORT ERROR weekly_forecast.py:10: NameError"));
        using var json = JsonDocument.Parse(report.ToJson());
        var parsed = json.RootElement.GetProperty("parse");
        Assert.Equal(3, parsed.GetProperty("dag_count").GetInt32());
        var entry = parsed.GetProperty("import_errors")[0];
        Assert.Equal(("weekly_forecast.py", 10, "NameError: name 'compute_forecast_weeks' is not defined"),
            (entry.GetProperty("filename").GetString(), entry.GetProperty("line").GetInt32(), entry.GetProperty("error").GetString()));
        // After the runs: the dag-processor has been through every file by then.
        Assert.True(airflow.Requests.FindLastIndex(r => r.StartsWith("GET /api/v2/dags?limit=1", StringComparison.Ordinal))
            > airflow.Requests.FindLastIndex(r => r.StartsWith("GET /api/v2/dags/inventory_sync/dagRuns/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_FailOnImportErrors_each_import_error_is_a_failed_check_naming_the_setting()
    {
        var report = await VerifyAsync(SampleProject(SalesReport), Options("sales_report", failOnImportErrors: true));

        var check = Single(report, "import-error:weekly_forecast.py");
        Assert.False(check.Passed);
        Assert.Equal("weekly_forecast.py:10: NameError: name 'compute_forecast_weeks' is not defined", check.Seen);
        Assert.Contains("Verifier:FailOnImportErrors=false", check.Cause);
        Assert.False(report.Passed);

        // Without import errors it holds, and says so.
        var clean = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { UserDags = [SalesReport] };
        var cleanReport = await VerifyAsync(clean, Options("", failOnImportErrors: true));
        Assert.True(Single(cleanReport, "import-errors").Passed);
        Assert.Equal(2, cleanReport.Parse!.DagCount);
        Assert.Empty(cleanReport.Dags);
    }

    [Fact]
    public async Task A_chosen_DAG_whose_file_does_not_import_fails_at_once_with_Airflows_error()
    {
        var airflow = SampleProject();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var report = await VerifyAsync(airflow, Options("weekly_forecast", dagTimeout: TimeSpan.FromMinutes(5)));

        var parsed = Single(report, "dag-parsed:weekly_forecast");
        Assert.False(parsed.Passed);
        Assert.Contains("NameError: name 'compute_forecast_weeks' is not defined", parsed.Cause);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "An import error of the chosen DAG's own file must not wait for the DAG timeout.");
        Assert.DoesNotContain(airflow.Requests, r => r.StartsWith("POST /api/v2/dags/weekly_forecast", StringComparison.Ordinal));
        var section = Assert.Single(report.Dags);
        Assert.Equal(("weekly_forecast", false, null), (section.DagId, section.Passed, section.RunId));
    }

    [Fact]
    public async Task An_id_Airflow_does_not_know_fails_after_the_DAG_timeout_listing_the_known_ids_and_the_close_match()
    {
        var report = await VerifyAsync(SampleProject(), Options("sales_reprot", dagTimeout: TimeSpan.FromSeconds(1)));

        var check = Single(report, "dag-parsed:sales_reprot");
        Assert.False(check.Passed);
        Assert.Equal("no DAG sales_reprot after 1 s", check.Seen);
        Assert.StartsWith("did you mean 'sales_report'? fix the DAG id in Verifier:Dags", check.Cause);
        Assert.Contains("Airflow knows 4 DAG(s): hello_dragonfly, inventory_sync, nightly_cleanup, sales_report", check.Cause);
        Assert.Contains("weekly_forecast.py: NameError", check.Cause);
        Assert.False(report.Passed);
    }

    [Fact]
    public async Task A_tag_that_selects_no_DAG_fails_naming_the_setting_and_the_tags_there_are()
    {
        var report = await VerifyAsync(SampleProject(), Options("tag:sampel", dagTimeout: TimeSpan.FromSeconds(1)));

        var check = Single(report, "dag-tag:sampel");
        Assert.False(check.Passed);
        Assert.StartsWith("did you mean tag:sample? fix the tag in Verifier:Dags", check.Cause);
        Assert.Contains("The DAGs' tags: sample.", check.Cause);
        Assert.Empty(report.Dags);
        Assert.False(report.Passed);
    }

    [Fact]
    public async Task A_run_that_does_not_finish_in_time_names_its_stuck_tasks_their_states_and_the_likely_cause()
    {
        var stuck = InventorySync with { StuckIn = "scheduled", Tasks = [new FakeUserTask("count_items", Pool: "inventory_pool"), new FakeUserTask("sync_items")] };
        var airflow = SampleProject(stuck);

        var report = await VerifyAsync(airflow, Options("inventory_sync", runTimeout: TimeSpan.FromSeconds(1)));

        Assert.Empty(airflow.ContractViolations);
        var check = Single(report, "dag-run-finished:inventory_sync");
        Assert.False(check.Passed);
        Assert.Equal("running; tasks: count_items scheduled, sync_items no state", check.Seen);
        Assert.Contains("count_items stayed scheduled", check.Cause);
        Assert.Contains("(inventory_pool)", check.Cause);
        Assert.EndsWith("raise Verifier:RunTimeout (now 1 s)", check.Cause);
        // hello_dragonfly ran within its bound all the same.
        Assert.True(Single(report, "run-succeeded").Passed);
        var section = Assert.Single(report.Dags);
        Assert.Equal("running", section.State);
        Assert.Contains(section.FailedTasks, f => f.TaskId == "count_items" && f.State == "scheduled" && f.Cause.Contains("inventory_pool", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conf_for_a_DAG_that_is_not_chosen_fails_naming_the_setting()
    {
        var report = await VerifyAsync(SampleProject(SalesReport), Options("sales_report", conf: new() { ["sales_reports"] = "{}" }));

        var check = Single(report, "dag-conf:sales_reports");
        Assert.False(check.Passed);
        Assert.StartsWith("Verifier:Conf:sales_reports is set but sales_reports is not among the DAGs Verifier:Dags chooses", check.Cause);
        Assert.True(Single(report, "dag-run-succeeded:sales_report").Passed);
    }

    [Fact]
    public async Task The_DAG_list_is_read_page_by_page_to_its_total_entries()
    {
        var dags = Enumerable.Range(0, 130).Select(i => new FakeUserDag($"dag_{i:000}", ["many"], [new FakeUserTask("t")])).ToArray();
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { UserDags = [.. dags] };
        var client = new AirflowClient(new HttpClient(airflow) { BaseAddress = new Uri("http://airflow-api") });
        await client.LogInAsync("admin", FakeAirflow.Password, TestContext.Current.CancellationToken);

        var tagged = await client.GetDagsAsync("many", TestContext.Current.CancellationToken);

        Assert.Equal(dags.Select(d => d.DagId), tagged.Select(d => d.DagId));
        Assert.Equal(["GET /api/v2/dags?tags=many&limit=100&offset=0", "GET /api/v2/dags?tags=many&limit=100&offset=100"],
            airflow.Requests.Where(r => r.StartsWith("GET /api/v2/dags?", StringComparison.Ordinal)));
        Assert.Empty(airflow.ContractViolations);
    }

    [Fact]
    public async Task Without_chosen_DAGs_nothing_of_the_users_is_run_or_read()
    {
        var airflow = SampleProject();

        var report = await VerifyAsync(airflow, Options(""));

        Assert.Empty(report.Dags);
        Assert.Null(report.Parse);
        Assert.DoesNotContain(airflow.Requests, r => r.StartsWith("GET /api/v2/dags?", StringComparison.Ordinal));
        Assert.DoesNotContain("dags", report.StepSeconds.Keys);
    }
}
