using System.Net.Http.Json;
using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.EndToEnd;

/// <summary>
/// A running task's log, read through the api-server while the task runs, as the UI reads it: Airflow 3.0.3's api-server
/// reads the local file and also asks the log server at <c>http://{ti.hostname}:{[logging] worker_log_server_port}/log/...</c>
/// (<c>file_task_handler.py</c>). The stand-in does the same and fails as Airflow does on a port that is not a number. On the
/// real orchestrator the api-server used to get the first worker's allocated port as an expression DCP cannot resolve in
/// another executable (<c>{{- portForServing "airflow-worker-1" -}}</c>), and every live read failed with "Could not read
/// served logs: Failed to parse". With one worker and with three, each worker running one task at once.
/// </summary>
public sealed class LiveTaskLogTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private const string DagId = "live_logs";

    /// <summary>A DAG of <paramref name="tasks"/> parallel tasks that each print a line, then wait (bounded) for a file to appear.</summary>
    private static string WriteDag(string folder, int tasks, string release) => $$"""
        from __future__ import annotations
        import os, time
        from datetime import datetime
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import DAG

        def hold(n):
            print(f"task {n} is running", flush=True)
            deadline = time.monotonic() + 90
            while not os.path.exists({{JsonSerializer.Serialize(release)}}) and time.monotonic() < deadline:
                time.sleep(0.2)

        with DAG(dag_id="{{DagId}}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
            for n in range(1, {{tasks + 1}}):
                PythonOperator(task_id=f"hold_{n}", python_callable=hold, op_args=[n])
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Every_running_tasks_log_is_served_live_through_the_api_server(int workers)
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var dags = new TemporaryFolder();
        var release = Path.Combine(dags.Path, "release");
        File.Copy(Path.Combine(AppHostModel.AppHostDirectory, "..", "airflow", "dags", "hello_dragonfly.py"), Path.Combine(dags.Path, "hello_dragonfly.py"));
        await File.WriteAllTextAsync(Path.Combine(dags.Path, $"{DagId}.py"), WriteDag(dags.Path, workers, release), TestContext.Current.CancellationToken);

        // One task slot per worker: with Airflow's prefetch of 1 and late acks, each worker takes one of the tasks.
        await using var app = await RunningAppHost.StartAsync(Bound, [.. standIn.AppHostArguments, $"--Airflow:DagsFolder={dags.Path}",
            $"--Airflow:Workers={workers}", "--Airflow:Concurrency=1", "--Airflow:Triggerer=false"]);
        try
        {
            foreach (var worker in Enumerable.Range(1, workers))
            {
                await app.WaitForHealthyAsync($"airflow-worker-{worker}", Bound);
            }
            using var airflow = await AirflowApi.SignInAsync(app);
            var runId = await airflow.TriggerAsync(DagId, Bound);
            var running = await airflow.WaitForTasksAsync(DagId, runId, workers, "running", Bound);

            foreach (var task in running)
            {
                // The task becomes running before it prints: read until its line is there (bounded), as the UI polls.
                var line = $"task {task["hold_".Length..]} is running";
                var (content, sources) = await airflow.ReadLogUntilAsync(DagId, runId, task, line, Bound);
                Assert.DoesNotContain(sources, s => s.StartsWith("Could not read served logs", StringComparison.Ordinal));
                // Read from the log server, not only from the shared folder: its URL is a source.
                Assert.True(sources.Any(s => s.StartsWith("http://", StringComparison.Ordinal) && s.Contains("/log/", StringComparison.Ordinal)),
                    $"{task}'s log sources: {string.Join(" | ", sources)}");
                Assert.Equal("running", await airflow.TaskStateAsync(DagId, runId, task));
            }
            if (workers > 1)
            {
                // Each worker ran one of the tasks: every worker's running task was served by the host's one log server.
                foreach (var worker in Enumerable.Range(1, workers))
                {
                    await app.WaitForLogAsync($"airflow-worker-{worker}", "Executing workload in Celery", Bound);
                }
            }
            Assert.DoesNotContain(app.Log("airflow-api"), line => line.Contains("Could not read served logs", StringComparison.Ordinal));
        }
        finally
        {
            File.WriteAllText(release, "");
        }
    }

    /// <summary>Airflow's REST API as the admin, over the api-server's endpoint.</summary>
    private sealed class AirflowApi(HttpClient http) : IDisposable
    {
        public static async Task<AirflowApi> SignInAsync(RunningAppHost app)
        {
            var ct = TestContext.Current.CancellationToken;
            var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
            var api = (IResourceWithEndpoints)model.Resources.Single(r => r.Name == "airflow-api");
            var url = await api.GetEndpoint("http").Property(EndpointProperty.Url).GetValueAsync(ct);
            var password = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "airflow-admin-password").GetValueAsync(ct);
            var http = new HttpClient { BaseAddress = new Uri(url!) };
            using var token = await http.PostAsJsonAsync("/auth/token", new { username = "admin", password }, ct);
            token.EnsureSuccessStatusCode();
            var access = JsonDocument.Parse(await token.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new("Bearer", access);
            return new AirflowApi(http);
        }

        public async Task<JsonDocument> GetAsync(string path)
        {
            using var response = await http.GetAsync(path, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text);
        }

        /// <summary>Reads the task's log (try 1, as the UI does) until a message contains <paramref name="text"/>; returns it and its sources.</summary>
        public async Task<(IReadOnlyList<string> Events, IReadOnlyList<string> Sources)> ReadLogUntilAsync(string dagId, string runId, string task, string text, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                using var log = await GetAsync($"/api/v2/dags/{dagId}/dagRuns/{runId}/taskInstances/{task}/logs/1?full_content=true");
                var content = log.RootElement.GetProperty("content").EnumerateArray().ToList();
                var events = content.Select(m => m.GetProperty("event").GetString()!).ToList();
                var sources = content.Where(m => m.TryGetProperty("sources", out _)).SelectMany(m => m.GetProperty("sources").EnumerateArray())
                    .Select(s => s.GetString()!).ToList();
                if (events.Any(e => e.Contains(text, StringComparison.Ordinal)))
                {
                    return (events, sources);
                }
                Assert.True(DateTime.UtcNow < deadline, $"{task}'s log had no line '{text}' within {timeout}; sources: {string.Join(" | ", sources)}");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        public async Task<string?> TaskStateAsync(string dagId, string runId, string task)
        {
            using var tasks = await GetAsync($"/api/v2/dags/{dagId}/dagRuns/{runId}/taskInstances");
            return tasks.RootElement.GetProperty("task_instances").EnumerateArray()
                .Single(t => t.GetProperty("task_id").GetString() == task).GetProperty("state").GetString();
        }

        /// <summary>Waits for the DAG to be parsed, unpauses it and triggers a run.</summary>
        public async Task<string> TriggerAsync(string dagId, TimeSpan timeout)
        {
            var ct = TestContext.Current.CancellationToken;
            var deadline = DateTime.UtcNow + timeout;
            while ((await http.GetAsync($"/api/v2/dags/{dagId}", ct)).StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                Assert.True(DateTime.UtcNow < deadline, $"DAG {dagId} was not parsed within {timeout}");
                await Task.Delay(200, ct);
            }
            using var unpaused = await http.PatchAsJsonAsync($"/api/v2/dags/{dagId}", new { is_paused = false }, ct);
            unpaused.EnsureSuccessStatusCode();
            var runId = $"live_logs_{Guid.NewGuid():N}";
            using var triggered = await http.PostAsJsonAsync($"/api/v2/dags/{dagId}/dagRuns", new { logical_date = (string?)null, dag_run_id = runId }, ct);
            Assert.True(triggered.IsSuccessStatusCode, await triggered.Content.ReadAsStringAsync(ct));
            return runId;
        }

        /// <summary>Waits until <paramref name="count"/> task instances of the run are in <paramref name="state"/>; returns their ids.</summary>
        public async Task<IReadOnlyList<string>> WaitForTasksAsync(string dagId, string runId, int count, string state, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                using var tasks = await GetAsync($"/api/v2/dags/{dagId}/dagRuns/{runId}/taskInstances");
                var all = tasks.RootElement.GetProperty("task_instances").EnumerateArray()
                    .Select(t => (Id: t.GetProperty("task_id").GetString()!, State: t.GetProperty("state").GetString())).ToList();
                var inState = all.Where(t => t.State == state).Select(t => t.Id).ToList();
                if (inState.Count >= count)
                {
                    return inState;
                }
                Assert.True(DateTime.UtcNow < deadline, $"{count} task(s) {state} expected within {timeout}: {string.Join(", ", all.Select(t => $"{t.Id} {t.State}"))}");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        public void Dispose() => http.Dispose();
    }
}
