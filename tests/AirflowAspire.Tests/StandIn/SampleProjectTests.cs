using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AirflowAspire.Tests.Contract;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StandIn;

/// <summary>
/// The repository's sample project (tests/SampleProject) run on the stand-in as the AppHost runs it (its connections and
/// variables imported after <c>db migrate</c>, <c>[core] dags_folder</c> and <c>plugins_folder</c> set to the project's), with
/// one Celery worker and the DAG runs in flight at once, ends as Airflow 3.0.3 would end it: sales_report succeeds reading a
/// connection and a variable through the Task Execution API and a helper from the plugins folder; inventory_sync's pooled
/// task is not queued while its pool does not exist (scheduler_job_runner.py) and runs once pools.json is imported;
/// nightly_cleanup fails with delete_old_files failed and its PermissionError in the log; weekly_forecast is an import error
/// at line 10. Every answer of an operation the tests' 3.0 OpenAPI document carries is checked against it.
/// </summary>
public sealed class SampleProjectTests
{
    private static readonly AirflowOpenApi Contract = AirflowOpenApi.Load("3.0");

    [Fact]
    public async Task The_sample_projects_dags_end_as_airflow_3_0_3_ends_them()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var broker = new GarnetServer("broker-password");
        var apiPort = GarnetServer.FreePort();
        using var airflow = new StandInProcesses(standIn, new Dictionary<string, string>
        {
            ["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor",
            ["AIRFLOW__CORE__DAGS_FOLDER"] = Path.Combine(StandInProcesses.SampleProject, "dags"),
            ["AIRFLOW__CORE__PLUGINS_FOLDER"] = Path.Combine(StandInProcesses.SampleProject, "plugins"),
            ["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "False",
            ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = $"http://127.0.0.1:{apiPort}/execution/",
            ["AIRFLOW__CELERY__BROKER_URL"] = broker.CeleryUrl(0),
            ["AIRFLOW__CELERY__RESULT_BACKEND"] = broker.CeleryUrl(1),
            ["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = GarnetServer.FreePort().ToString(),
            // The supervisor's last select() waits this long after a task ends (5 s by default): shorter, for a shorter test.
            ["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = "1",
        });
        Assert.Equal(0, (await airflow.AirflowAsync("db", "migrate")).ExitCode);
        Assert.Equal(0, (await airflow.AirflowAsync("connections", "import", Path.Combine(StandInProcesses.SampleProject, "connections.json"), "--overwrite")).ExitCode);
        Assert.Equal(0, (await airflow.AirflowAsync("variables", "import", Path.Combine(StandInProcesses.SampleProject, "variables.json"))).ExitCode);
        // pools.json is imported later: until then inventory_pool does not exist.

        airflow.Start("api-server", "api-server", "--host", "127.0.0.1", "--port", apiPort.ToString(), "--workers", "1");
        airflow.Start("scheduler", "scheduler");
        airflow.Start("dag-processor", "dag-processor");
        airflow.Start("worker", "celery", "worker", "--queues", "default", "--concurrency", "4");
        using var api = await airflow.SignInAsync(apiPort);

        // The three DAGs that import, listed (only active ones by default); the fourth file is an import error at line 10.
        await airflow.WaitUntilAsync(async () => (await GetAsync(api, "/api/v2/dags?tags=sample")).GetProperty("total_entries").GetInt32() == 3
            && (await GetAsync(api, "/api/v2/importErrors")).GetProperty("total_entries").GetInt32() == 1, "three DAGs and one import error");
        // GET /api/v2/plugins is not in the tests' trimmed 3.0 document (TestData/Airflow/README.md); its body was checked by
        // hand against 3.0.3's generated document (openapi_check.py). GET /api/v2/dags is, and is checked.
        var dags = await GetAsync(api, "/api/v2/dags?order_by=-dag_id&limit=2");
        Assert.Equal(["sales_report", "nightly_cleanup"], dags.GetProperty("dags").EnumerateArray().Select(d => d.GetProperty("dag_id").GetString()));
        var importError = (await GetAsync(api, "/api/v2/importErrors")).GetProperty("import_errors")[0];
        // The file's absolute path, as 3.0.3 records it (its DagBag's key; seen on real 3.0.3 on 2026-12-03).
        Assert.Equal(Path.Combine(StandInProcesses.SampleProject, "dags", "weekly_forecast.py"), importError.GetProperty("filename").GetString());
        var stackTrace = importError.GetProperty("stack_trace").GetString()!;
        Assert.StartsWith("Traceback (most recent call last):\n", stackTrace, StringComparison.Ordinal);
        Assert.Contains($"File \"{Path.Combine(StandInProcesses.SampleProject, "dags", "weekly_forecast.py")}\", line 10, in <module>", stackTrace, StringComparison.Ordinal);
        Assert.EndsWith("NameError: name 'compute_forecast_weeks' is not defined\n", stackTrace, StringComparison.Ordinal);

        // The plugin of the plugins folder, as GET /api/v2/plugins lists it.
        var plugins = await GetAsync(api, "/api/v2/plugins", checkContract: false);
        Assert.Equal(1, plugins.GetProperty("total_entries").GetInt32());
        Assert.Equal("sample_plugin", plugins.GetProperty("plugins")[0].GetProperty("name").GetString());
        Assert.Equal("$PLUGINS_FOLDER/sample_plugin.py", plugins.GetProperty("plugins")[0].GetProperty("source").GetString());

        // Three runs at once on the one worker.
        var sales = await TriggerAsync(api, "sales_report", new { });
        var cleanup = await TriggerAsync(api, "nightly_cleanup", new { });
        var inventory = await TriggerAsync(api, "inventory_sync", new { items = 7 });
        Assert.Equal(7, (await GetAsync(api, $"/api/v2/dags/inventory_sync/dagRuns/{inventory}")).GetProperty("conf").GetProperty("items").GetInt32());

        await airflow.WaitUntilAsync(async () => await RunStateAsync(api, "sales_report", sales) == "success"
            && await RunStateAsync(api, "nightly_cleanup", cleanup) == "failed"
            && (await TaskStatesAsync(api, "inventory_sync", inventory))["count_items"] == "success", "sales_report success, nightly_cleanup failed, count_items success");

        // inventory_pool does not exist yet: sync_items is scheduled and stays so, and the run stays running.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal("scheduled", (await TaskStatesAsync(api, "inventory_sync", inventory))["sync_items"]);
        Assert.Equal("running", await RunStateAsync(api, "inventory_sync", inventory));
        Assert.Contains("Tasks using non-existent pool 'inventory_pool' will not be scheduled", airflow.Output("scheduler"), StringComparison.Ordinal);

        Assert.Equal("Uploaded 1 pool(s)", (await airflow.AirflowAsync("pools", "import", Path.Combine(StandInProcesses.SampleProject, "pools.json"))).Stdout.Trim());
        await airflow.WaitUntilAsync(async () => await RunStateAsync(api, "inventory_sync", inventory) == "success", "inventory_sync success once its pool exists");

        Assert.Equal(new Dictionary<string, string?> { ["list_old_files"] = "success", ["delete_old_files"] = "failed" }, await TaskStatesAsync(api, "nightly_cleanup", cleanup));
        var failure = (await LogAsync(api, "nightly_cleanup", cleanup, "delete_old_files"))
            .Single(line => line.TryGetProperty("event", out var e) && e.GetString() == "Task failed with exception");
        var error = failure.GetProperty("error_detail")[0];
        Assert.Equal("PermissionError", error.GetProperty("exc_type").GetString());
        Assert.Equal("cannot delete /archive/2024: read-only file system", error.GetProperty("exc_value").GetString());
        var lastFrame = error.GetProperty("frames").EnumerateArray().Last();
        Assert.Equal((Path.Combine(StandInProcesses.SampleProject, "dags", "nightly_cleanup.py"), 17, "delete_old_files"),
            (lastFrame.GetProperty("filename").GetString(), lastFrame.GetProperty("lineno").GetInt32(), lastFrame.GetProperty("name").GetString()));

        // The connection and the variable came through the Task Execution API, the helper from the plugins folder.
        Assert.Contains((await LogAsync(api, "sales_report", sales, "build_report")).Select(Event),
            e => e == "Sales report ready: ['region', 'total']: emea 1,234.50 EUR from warehouse.example.internal:5432/sales");
        Assert.Contains((await LogAsync(api, "inventory_sync", inventory, "count_items")).Select(Event), e => e == "Counted 7 items");
        Assert.DoesNotContain("sample-secret-do-not-log", airflow.Output(), StringComparison.Ordinal);

        // The Task Execution API's answers for what does not exist, with a task token signed as the scheduler signs them.
        var token = (await airflow.PythonAsync("from airflow_standin.tokens import generate_task_token; print(generate_task_token('0190a3b4-0000-7000-8000-000000000001'))")).Stdout.Trim();
        using var execution = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        execution.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var noVariable = await execution.GetAsync("/execution/variables/no_such_key", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, noVariable.StatusCode);
        Assert.Equal("""{"detail":{"reason":"not_found","message":"Variable with key 'no_such_key' not found"}}""", await noVariable.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var noConnection = await execution.GetAsync("/execution/connections/no_such_conn", TestContext.Current.CancellationToken);
        Assert.Equal("""{"detail":{"reason":"not_found","message":"Connection with ID no_such_conn not found"}}""", await noConnection.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static string? Event(JsonElement line) => line.TryGetProperty("event", out var e) ? e.GetString() : null;

    private static async Task<JsonElement> GetAsync(HttpClient api, string path, bool checkContract = true)
    {
        using var response = await api.GetAsync(path, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        if (checkContract)
        {
            Assert.Empty(Contract.CheckResponse("GET", path, (int)response.StatusCode, body));
        }
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> TriggerAsync(HttpClient api, string dagId, object conf)
    {
        using var response = await api.PostAsJsonAsync($"/api/v2/dags/{dagId}/dagRuns", new { logical_date = (string?)null, conf }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"trigger {dagId}: {(int)response.StatusCode} {body}");
        Assert.Empty(Contract.CheckResponse("POST", $"/api/v2/dags/{dagId}/dagRuns", (int)response.StatusCode, body));
        return JsonDocument.Parse(body).RootElement.GetProperty("dag_run_id").GetString()!;
    }

    private static async Task<string?> RunStateAsync(HttpClient api, string dagId, string runId)
        => (await GetAsync(api, $"/api/v2/dags/{dagId}/dagRuns/{Uri.EscapeDataString(runId)}")).GetProperty("state").GetString();

    private static async Task<Dictionary<string, string?>> TaskStatesAsync(HttpClient api, string dagId, string runId)
        => (await GetAsync(api, $"/api/v2/dags/{dagId}/dagRuns/{Uri.EscapeDataString(runId)}/taskInstances")).GetProperty("task_instances").EnumerateArray()
            .ToDictionary(t => t.GetProperty("task_id").GetString()!, t => t.GetProperty("state").GetString());

    private static async Task<List<JsonElement>> LogAsync(HttpClient api, string dagId, string runId, string taskId)
        => [.. (await GetAsync(api, $"/api/v2/dags/{dagId}/dagRuns/{Uri.EscapeDataString(runId)}/taskInstances/{taskId}/logs/1")).GetProperty("content").EnumerateArray()];
}
