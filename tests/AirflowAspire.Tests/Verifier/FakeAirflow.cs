using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AirflowAspire.Tests.Contract;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// A fake of Airflow's REST API as an <see cref="HttpMessageHandler"/>, held to Airflow's own OpenAPI
/// document: every request the client sends and every answer the fake gives is checked against it
/// (<see cref="ContractViolations"/>), and a body the schema rejects gets FastAPI's 422 as from Airflow.
/// A triggered run moves queued → running → success over a few polls; when its task "runs", the fake
/// writes what a Celery worker leaves in the broker (a <c>celery-task-meta-*</c> entry in db 1).
/// Scenario switches make it fail the ways a real deployment does.
/// </summary>
public sealed class FakeAirflow(AirflowOpenApi contract, IConnectionMultiplexer? broker = null) : HttpMessageHandler
{
    public const string Password = "Adm1nPassword";
    private const string Token = "fake-airflow-token";
    private const string DagFile = "/opt/airflow/dags/hello_dragonfly.py";
    // Airflow records import errors by the file's path relative to its bundle.
    private const string RelativeDagFile = "hello_dragonfly.py";

    private readonly List<string> _violations = [];
    private readonly Dictionary<string, int> _runPolls = [];
    private int _dagPolls;
    private bool _paused = true;

    /// <summary>Every place where a request or an answer broke Airflow's contract.</summary>
    public IReadOnlyList<string> ContractViolations => _violations;

    /// <summary>The requests received, <c>METHOD path?query</c>.</summary>
    public List<string> Requests { get; } = [];

    /// <summary>Polls of <c>GET /dags/{id}</c> answered 404 before the DAG appears (the dag-processor's first parse).</summary>
    public int PollsBeforeDagAppears { get; init; } = 2;

    /// <summary>The DAG file fails to import with this stack trace; the DAG never appears.</summary>
    public string? ImportError { get; init; }

    /// <summary>The DAG was parsed once, then its file broke: the DAG is there with <c>has_import_errors</c>.</summary>
    public bool BrokenAfterParse { get; init; }

    /// <summary>The api-server stops answering (connection refused) once a run is triggered.</summary>
    public bool GoesDownAfterTrigger { get; init; }

    /// <summary>The scheduler reports unhealthy forever.</summary>
    public bool SchedulerUnhealthy { get; init; }

    /// <summary>The task fails on the worker: Celery stores this error (<c>exc_type</c>, message) as FAILURE.</summary>
    public (string Type, string Message)? WorkerError { get; init; }

    /// <summary>No worker takes the task: it stays queued and its message stays in the broker queue.</summary>
    public bool NoWorker { get; init; }

    /// <summary>Every bearer token is refused with 403, as when the api-server's jwt_secret changed under it.</summary>
    public bool RejectTokenSignature { get; init; }

    /// <summary>
    /// Operations, by Airflow's operationId, that fail instead of answering: with this HTTP status (a 5xx with uvicorn's plain
    /// "Internal Server Error" body, as when the api-server raises; others with FastAPI's detail), or with 0, refused at the
    /// connection. Such answers are outside Airflow's contract on purpose and are not held to it.
    /// </summary>
    public Dictionary<string, int> Faults { get; init; } = [];

    /// <summary>The api-server is still starting: this many first requests are refused at the connection.</summary>
    public int RefusedWhileStarting { get; init; }

    /// <summary>
    /// How long after the task instance's success the worker writes Celery's result: about <c>[workers] min_heartbeat_interval</c>
    /// (5 s) on Airflow 3.0.3, whose supervisor returns from <c>execute_workload</c> only after its last select() times out.
    /// <see cref="Timeout.InfiniteTimeSpan"/>: never.
    /// </summary>
    public TimeSpan CeleryResultLag { get; init; } = TimeSpan.Zero;

    /// <summary>The user's own DAGs the fake knows besides hello_dragonfly (<c>GET /api/v2/dags</c>, tags, runs, logs).</summary>
    public List<FakeUserDag> UserDags { get; init; } = [];

    /// <summary>Files other than hello_dragonfly's that failed to import: (filename relative to the DAGs folder, Airflow's stack trace).</summary>
    public List<(string Filename, string StackTrace)> OtherImportErrors { get; init; } = [];

    /// <summary>The bodies of <c>POST …/dagRuns</c>, by DAG id, as received.</summary>
    public List<(string DagId, JsonNode Body)> TriggerBodies { get; } = [];

    /// <summary>The task prints this line (Airflow's task log).</summary>
    public string TaskOutput { get; init; } = "Hello from a Celery worker via Dragonfly!";

    // One request at a time: the fake's state is plain collections (the benchmark sends several at once).
    private readonly SemaphoreSlim _gate = new(1, 1);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await AnswerCheckedAsync(request, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<HttpResponseMessage> AnswerCheckedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.Method.Method;
        var pathAndQuery = request.RequestUri!.PathAndQuery;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add($"{method} {pathAndQuery}");
        {
            _violations.AddRange(contract.CheckRequest(method, pathAndQuery, body).Select(v => $"request {method} {pathAndQuery}: {v}"));
        }

        if (Requests.Count <= RefusedWhileStarting)
        {
            throw new HttpRequestException("Connection refused (airflow-api:8080): still starting");
        }
        if (GoesDownAfterTrigger && _runs.Count > 0)
        {
            throw new HttpRequestException("Connection refused (airflow-api:8080)");
        }
        if (contract.OperationId(method, pathAndQuery) is { } operation && Faults.TryGetValue(operation, out var fault))
        {
            return fault switch
            {
                0 => throw new HttpRequestException($"Connection refused (airflow-api:8080) for {operation}"),
                >= 500 => new HttpResponseMessage((HttpStatusCode)fault) { Content = new StringContent("Internal Server Error", Encoding.UTF8, "text/plain") },
                _ => new HttpResponseMessage((HttpStatusCode)fault) { Content = new StringContent(Detail($"{operation} refused").ToJsonString(), Encoding.UTF8, "application/json") },
            };
        }
        var (status, answer) = await AnswerAsync(request, method, pathAndQuery.Split('?')[0], body);
        var text = answer?.ToJsonString();
        {
            _violations.AddRange(contract.CheckResponse(method, pathAndQuery, (int)status, text).Select(v => $"response {(int)status} to {method} {pathAndQuery}: {v}"));
        }
        return new HttpResponseMessage(status)
        {
            Content = text is null ? null : new StringContent(text, Encoding.UTF8, "application/json"),
        };
    }

    private async Task<(HttpStatusCode, JsonNode?)> AnswerAsync(HttpRequestMessage request, string method, string path, string? body)
    {
        if (path == "/api/v2/version")
        {
            return (HttpStatusCode.OK, new JsonObject { ["version"] = "3.0.3", ["git_version"] = null });
        }
        if (path == "/api/v2/monitor/health")
        {
            return (HttpStatusCode.OK, Health());
        }
        if (path == "/auth/token" && method == "POST")
        {
            var credentials = JsonNode.Parse(body ?? "{}");
            return credentials?["password"]?.GetValue<string>() == Password
                ? (HttpStatusCode.Created, new JsonObject { ["access_token"] = Token })
                : (HttpStatusCode.Unauthorized, Detail("Invalid credentials"));
        }
        // Everything else needs the token, as Airflow's REST API does.
        if (request.Headers.Authorization?.Parameter is not { } token)
        {
            return (HttpStatusCode.Unauthorized, Detail("Not authenticated"));
        }
        if (token != Token || RejectTokenSignature)
        {
            return (HttpStatusCode.Forbidden, Detail("Invalid JWT token"));
        }
        if (contract.CheckRequest(method, request.RequestUri!.PathAndQuery, body) is { Count: > 0 } invalid)
        {
            return (HttpStatusCode.UnprocessableEntity, new JsonObject
            {
                ["detail"] = new JsonArray(invalid.Select(v => (JsonNode)new JsonObject
                {
                    ["type"] = "value_error", ["loc"] = new JsonArray("body"), ["msg"] = v, ["input"] = null,
                }).ToArray()),
            });
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        return (method, segments) switch
        {
            ("GET", ["api", "v2", "importErrors"]) => (HttpStatusCode.OK, ImportErrors(Query(request))),
            ("GET", ["api", "v2", "dags"]) => (HttpStatusCode.OK, Dags(Query(request))),
            ("GET", ["api", "v2", "dags", var dagId]) when User(dagId) is { } user => (HttpStatusCode.OK, UserDagBody(user)),
            ("GET", ["api", "v2", "dags", var dagId]) => Dag(dagId),
            ("PATCH", ["api", "v2", "dags", var dagId]) when User(dagId) is { } user => UnpauseUser(user, body!),
            ("PATCH", ["api", "v2", "dags", var dagId]) => Unpause(dagId, body!),
            ("POST", ["api", "v2", "dags", var dagId, "dagRuns"]) when User(dagId) is { } user => TriggerUser(user, body!),
            ("POST", ["api", "v2", "dags", _, "dagRuns"]) => Trigger(body!),
            ("GET", ["api", "v2", "dags", var dagId, "dagRuns", var runId]) when User(dagId) is { } user => (HttpStatusCode.OK, UserRun(user, runId)),
            ("GET", ["api", "v2", "dags", _, "dagRuns", var runId]) => (HttpStatusCode.OK, await RunAsync(runId)),
            ("GET", ["api", "v2", "dags", var dagId, "dagRuns", var runId, "taskInstances"]) when User(dagId) is { } user
                => (HttpStatusCode.OK, Page(UserTaskInstances(user, runId), "task_instances", Query(request))),
            ("GET", ["api", "v2", "dags", _, "dagRuns", var runId, "taskInstances"]) => (HttpStatusCode.OK, TaskInstances(runId)),
            ("GET", ["api", "v2", "dags", var dagId, "dagRuns", var runId, "taskInstances", var taskId, "logs", _]) when User(dagId) is { } user
                => (HttpStatusCode.OK, UserLog(user, runId, taskId)),
            ("GET", ["api", "v2", "dags", _, "dagRuns", var runId, "taskInstances", _, "logs", _]) => (HttpStatusCode.OK, Log(runId)),
            _ => (HttpStatusCode.NotFound, Detail("Not Found")),
        };
    }

    private JsonObject Health()
    {
        static JsonObject Component(string heartbeatKey, string status) => new() { ["status"] = status, [heartbeatKey] = "2026-11-25T10:00:00+00:00" };
        return new JsonObject
        {
            ["metadatabase"] = new JsonObject { ["status"] = "healthy" },
            ["scheduler"] = Component("latest_scheduler_heartbeat", SchedulerUnhealthy ? "unhealthy" : "healthy"),
            ["triggerer"] = Component("latest_triggerer_heartbeat", "healthy"),
            ["dag_processor"] = Component("latest_dag_processor_heartbeat", "healthy"),
        };
    }

    private JsonObject ImportErrors(ILookup<string, string> query)
    {
        var files = (ImportError is null ? [] : new[] { (Filename: RelativeDagFile, StackTrace: ImportError) }).Concat(OtherImportErrors);
        var errors = files.Select((e, i) => (JsonNode)new JsonObject
        {
            ["import_error_id"] = i + 1, ["timestamp"] = "2026-11-25T10:00:00Z", ["filename"] = e.Filename,
            ["bundle_name"] = "dags-folder", ["stack_trace"] = e.StackTrace,
        }).ToList();
        return Page(errors, "import_errors", query);
    }

    private (HttpStatusCode, JsonNode?) Dag(string dagId)
        => (ImportError is not null && !BrokenAfterParse) || dagId != "hello_dragonfly" || _dagPolls++ < PollsBeforeDagAppears
            ? (HttpStatusCode.NotFound, Detail($"Dag with id {dagId} was not found"))
            : (HttpStatusCode.OK, DagBody());

    private (HttpStatusCode, JsonNode?) Unpause(string dagId, string body)
    {
        _paused = JsonNode.Parse(body)!["is_paused"]!.GetValue<bool>();
        return Dag(dagId);
    }

    private readonly Dictionary<string, DateTimeOffset> _runs = [];

    private (HttpStatusCode, JsonNode?) Trigger(string body)
    {
        // Without a run id Airflow makes one from the run type and the time.
        var runId = JsonNode.Parse(body)!["dag_run_id"]?.GetValue<string>() ?? $"manual__{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.ffffff}+00:00";
        if (!_runs.TryAdd(runId, DateTimeOffset.UtcNow))
        {
            return (HttpStatusCode.Conflict, Detail($"DAG Run with run_id: `{runId}` already exists"));
        }
        _runPolls[runId] = 0;
        return (HttpStatusCode.OK, RunBody(runId, "queued"));
    }

    /// <summary>queued, then running, then the end; the task's Celery traces are written as it ends.</summary>
    private async Task<JsonNode> RunAsync(string runId)
    {
        var polls = ++_runPolls[runId];
        var state = RunState(polls);
        if (polls == 3 && broker is not null)
        {
            var results = broker.GetDatabase(1);
            var celeryId = Guid.NewGuid().ToString();
            if (NoWorker)
            {
                await broker.GetDatabase(0).ListLeftPushAsync("default", "{\"body\": \"...\"}");
            }
            else
            {
                var meta = WorkerError is { } error
                    ? new JsonObject { ["status"] = "FAILURE", ["result"] = new JsonObject { ["exc_type"] = error.Type, ["exc_message"] = new JsonArray(error.Message), ["exc_module"] = "builtins" } }
                    : new JsonObject { ["status"] = "SUCCESS", ["result"] = null };
                meta["traceback"] = null;
                meta["children"] = new JsonArray();
                meta["date_done"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffff");
                meta["task_id"] = celeryId;
                if (CeleryResultLag == TimeSpan.Zero || WorkerError is not null)
                {
                    await results.StringSetAsync($"celery-task-meta-{celeryId}", meta.ToJsonString());
                }
                else if (CeleryResultLag != Timeout.InfiniteTimeSpan)
                {
                    _ = Task.Delay(CeleryResultLag).ContinueWith(_ => results.StringSetAsync($"celery-task-meta-{celeryId}", meta.ToJsonString()),
                        TaskScheduler.Default).Unwrap();
                }
            }
        }
        return RunBody(runId, state);
    }

    private string RunState(int polls) => polls switch
    {
        < 2 => "queued",
        < 3 => "running",
        _ when NoWorker => "running",
        _ => WorkerError is null ? "success" : "failed",
    };

    private string TaskState(string runId)
    {
        var polls = _runPolls.GetValueOrDefault(runId);
        return polls < 3 || NoWorker ? "queued" : WorkerError is null ? "success" : "failed";
    }

    private JsonObject TaskInstances(string runId)
    {
        var state = TaskState(runId);
        var ran = state == "success";
        var started = _runs[runId].AddMilliseconds(300).ToString("O");
        var instance = new JsonObject
        {
            ["id"] = "0199b6a2-5c1e-7d3f-9a8b-1c2d3e4f5a6b", ["task_id"] = "first_task", ["dag_id"] = "hello_dragonfly",
            ["dag_run_id"] = runId, ["map_index"] = -1, ["logical_date"] = null, ["run_after"] = _runs[runId].ToString("O"),
            ["start_date"] = ran ? started : null, ["end_date"] = ran ? started : null, ["duration"] = ran ? 0.05 : null,
            ["state"] = state, ["try_number"] = state == "queued" ? 0 : 1, ["max_tries"] = 0,
            ["task_display_name"] = "first_task", ["dag_display_name"] = "hello_dragonfly",
            // A worker that never reached the Task Execution API never set its hostname.
            ["hostname"] = ran ? "worker-host" : null, ["unixname"] = ran ? "airflow" : null,
            ["pool"] = "default_pool", ["pool_slots"] = 1, ["queue"] = "default", ["priority_weight"] = 1,
            ["operator"] = "PythonOperator", ["operator_name"] = "PythonOperator",
            ["queued_when"] = started, ["scheduled_when"] = started, ["pid"] = ran ? 4242 : null,
            ["executor"] = null, ["executor_config"] = "{}", ["note"] = null, ["rendered_map_index"] = null,
            ["rendered_fields"] = new JsonObject(), ["trigger"] = null, ["triggerer_job"] = null,
            ["dag_version"] = new JsonObject
            {
                ["id"] = "0199b6a2-0000-7d3f-9a8b-1c2d3e4f5a6b", ["version_number"] = 1, ["dag_id"] = "hello_dragonfly",
                ["bundle_name"] = "dags-folder", ["bundle_version"] = null, ["created_at"] = "2026-11-25T10:00:00Z",
                ["dag_display_name"] = "hello_dragonfly", ["bundle_url"] = null,
            },
        };
        return new JsonObject { ["task_instances"] = new JsonArray(instance), ["total_entries"] = 1 };
    }

    private JsonObject Log(string runId)
    {
        var lines = new JsonArray(
            new JsonObject { ["event"] = "::group::Log message source details", ["sources"] = new JsonArray("/opt/airflow/logs/x.log") },
            new JsonObject { ["event"] = "::endgroup::" });
        if (TaskState(runId) == "success")
        {
            lines.Add(new JsonObject { ["timestamp"] = "2026-11-25T10:00:01.000000Z", ["event"] = TaskOutput, ["level"] = "info", ["logger"] = "task.stdout" });
        }
        return new JsonObject { ["content"] = lines, ["continuation_token"] = null };
    }

    private JsonObject RunBody(string runId, string state)
    {
        var queued = _runs[runId];
        var ended = state is "success" or "failed";
        return new JsonObject
        {
            ["dag_run_id"] = runId, ["dag_id"] = "hello_dragonfly", ["logical_date"] = null,
            ["queued_at"] = queued.ToString("O"), ["start_date"] = state == "queued" ? null : queued.AddMilliseconds(100).ToString("O"),
            ["end_date"] = ended ? queued.AddMilliseconds(1270).ToString("O") : null, ["duration"] = ended ? 1.17 : null,
            ["data_interval_start"] = null, ["data_interval_end"] = null, ["run_after"] = queued.ToString("O"),
            ["last_scheduling_decision"] = null, ["run_type"] = "manual", ["state"] = state, ["triggered_by"] = "rest_api",
            ["triggering_user_name"] = "admin", ["conf"] = new JsonObject(), ["note"] = null, ["dag_versions"] = new JsonArray(),
            ["bundle_version"] = null, ["dag_display_name"] = "hello_dragonfly", ["partition_key"] = null,
        };
    }

    private JsonObject DagBody() => new()
    {
        ["dag_id"] = "hello_dragonfly", ["dag_display_name"] = "hello_dragonfly", ["is_paused"] = _paused, ["is_stale"] = false,
        ["last_parsed_time"] = "2026-11-25T10:00:00Z", ["last_parse_duration"] = 0.1, ["last_expired"] = null,
        ["bundle_name"] = "dags-folder", ["bundle_version"] = null, ["relative_fileloc"] = "hello_dragonfly.py", ["fileloc"] = DagFile,
        ["description"] = null, ["deadline"] = null, ["timetable_summary"] = null, ["timetable_description"] = "Never, external triggers only",
        ["tags"] = new JsonArray(), ["max_active_tasks"] = 16, ["max_active_runs"] = 16, ["max_consecutive_failed_dag_runs"] = 0,
        ["has_task_concurrency_limits"] = false, ["has_import_errors"] = BrokenAfterParse, ["next_dagrun_logical_date"] = null,
        ["next_dagrun_data_interval_start"] = null, ["next_dagrun_data_interval_end"] = null, ["next_dagrun_run_after"] = null,
        ["owners"] = new JsonArray("airflow"), ["file_token"] = "token",
    };

    private static JsonObject Detail(string detail) => new() { ["detail"] = detail };

    // --- The user's own DAGs: listed, tagged, triggered with a conf, run to their outcome, their logs. ---

    private readonly Dictionary<string, bool> _userPaused = [];
    private readonly Dictionary<string, (string DagId, JsonObject Conf)> _userRuns = [];

    private int _dagListings;

    private FakeUserDag? User(string dagId) => UserDags.FirstOrDefault(d => d.DagId == dagId);

    private static ILookup<string, string> Query(HttpRequestMessage request)
        => request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).ToLookup(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "");

    /// <summary>A collection's page as Airflow answers it: <c>limit</c> (default 50, at most <c>[api] maximum_page_limit</c> 100) from <c>offset</c>, and the total.</summary>
    private static JsonObject Page(IReadOnlyList<JsonNode> items, string property, ILookup<string, string> query)
    {
        var limit = Math.Min(query["limit"].Select(int.Parse).DefaultIfEmpty(50).First(), 100);
        var offset = query["offset"].Select(int.Parse).DefaultIfEmpty(0).First();
        return new JsonObject { [property] = new JsonArray(items.Skip(offset).Take(limit).Select(i => i.DeepClone()).ToArray()), ["total_entries"] = items.Count };
    }

    /// <summary><c>GET /api/v2/dags</c>: hello_dragonfly once its file imports, and the user's DAGs; <c>tags</c> keeps those with any of the tags (tags_match_mode any).</summary>
    private JsonObject Dags(ILookup<string, string> query)
    {
        var tags = query["tags"].ToList();
        var dags = new List<JsonNode>();
        if (ImportError is null && tags.Count == 0)
        {
            dags.Add(DagBody());
        }
        var listing = Interlocked.Increment(ref _dagListings);
        dags.AddRange(UserDags.Where(d => (tags.Count == 0 || d.Tags.Any(tags.Contains)) && listing > d.ListedAfter).Select(UserDagBody));
        return Page(dags, "dags", query);
    }

    private JsonObject UserDagBody(FakeUserDag dag)
    {
        var body = DagBody();
        body["dag_id"] = dag.DagId;
        body["dag_display_name"] = dag.DagId;
        body["is_paused"] = _userPaused.GetValueOrDefault(dag.DagId, true);
        body["has_import_errors"] = false;
        body["relative_fileloc"] = $"{dag.DagId}.py";
        body["fileloc"] = $"/opt/airflow/dags/{dag.DagId}.py";
        body["tags"] = new JsonArray(dag.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t, ["dag_id"] = dag.DagId }).ToArray());
        return body;
    }

    private (HttpStatusCode, JsonNode?) UnpauseUser(FakeUserDag dag, string body)
    {
        _userPaused[dag.DagId] = JsonNode.Parse(body)!["is_paused"]!.GetValue<bool>();
        return (HttpStatusCode.OK, UserDagBody(dag));
    }

    private (HttpStatusCode, JsonNode?) TriggerUser(FakeUserDag dag, string body)
    {
        var request = JsonNode.Parse(body)!;
        TriggerBodies.Add((dag.DagId, request));
        var runId = request["dag_run_id"]?.GetValue<string>() ?? $"manual__{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.ffffff}+00:00";
        if (!_runs.TryAdd(runId, DateTimeOffset.UtcNow))
        {
            return (HttpStatusCode.Conflict, Detail($"DAG Run with run_id: `{runId}` already exists"));
        }
        _runPolls[runId] = 0;
        _userRuns[runId] = (dag.DagId, request["conf"] as JsonObject ?? []);
        return (HttpStatusCode.OK, UserRunBody(dag, runId, "queued"));
    }

    /// <summary>queued, then running, then success when every task succeeds, else failed; a stuck DAG stays running.</summary>
    private JsonObject UserRun(FakeUserDag dag, string runId)
    {
        var polls = ++_runPolls[runId];
        var state = polls < 2 ? "queued" : polls < 3 || dag.StuckIn is not null ? "running"
            : dag.Tasks.All(t => t.Outcome is "success" or "skipped") ? "success" : "failed";
        return UserRunBody(dag, runId, state);
    }

    private JsonObject UserRunBody(FakeUserDag dag, string runId, string state)
    {
        var body = RunBody(runId, state);
        body["dag_id"] = dag.DagId;
        body["dag_display_name"] = dag.DagId;
        body["conf"] = _userRuns[runId].Conf.DeepClone();
        return body;
    }

    private List<JsonNode> UserTaskInstances(FakeUserDag dag, string runId)
    {
        var ended = _runPolls.GetValueOrDefault(runId) >= 3;
        return dag.Tasks.Select((task, i) =>
        {
            // A stuck DAG's first task stays in StuckIn; the others wait with no state.
            var state = dag.StuckIn is { } stuck ? (i == 0 ? stuck : null) : ended ? task.Outcome : "queued";
            var ran = state is "success" or "failed";
            var instance = (JsonObject)((JsonArray)TaskInstances(runId)["task_instances"]!)[0]!.DeepClone();
            instance["task_id"] = task.TaskId;
            instance["task_display_name"] = task.TaskId;
            instance["dag_id"] = dag.DagId;
            instance["dag_display_name"] = dag.DagId;
            instance["id"] = $"0199b6a2-5c1e-7d3f-9a8b-1c2d3e4f5a{i:x2}";
            instance["state"] = state;
            instance["try_number"] = ran || state == "running" ? 1 : 0;
            instance["hostname"] = ran || state == "running" ? "worker-host" : null;
            instance["pool"] = task.Pool;
            if (!ran)
            {
                instance["start_date"] = null;
                instance["end_date"] = null;
                instance["duration"] = null;
                instance["pid"] = null;
            }
            instance["dag_version"]!["dag_id"] = dag.DagId;
            instance["dag_version"]!["dag_display_name"] = dag.DagId;
            return (JsonNode)instance;
        }).ToList();
    }

    private JsonObject UserLog(FakeUserDag dag, string runId, string taskId)
    {
        var task = dag.Tasks.Single(t => t.TaskId == taskId);
        var lines = new JsonArray(
            new JsonObject { ["event"] = "::group::Log message source details", ["sources"] = new JsonArray($"/opt/airflow/logs/dag_id={dag.DagId}/attempt=1.log") },
            new JsonObject { ["event"] = "::endgroup::" });
        foreach (var line in task.Log ?? [])
        {
            lines.Add(line.DeepClone());
        }
        return new JsonObject { ["content"] = lines, ["continuation_token"] = null };
    }
}

/// <summary>A DAG of the user's project, as the fake Airflow knows it.</summary>
/// <param name="DagId">Its id.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Tasks">Its tasks, in order, each with the state its run ends in.</param>
/// <param name="StuckIn">Not null: the run never ends, its first task staying in this state (<c>queued</c>, <c>scheduled</c>, <c>running</c>).</param>
/// <param name="ListedAfter">How many answers of <c>GET /api/v2/dags</c> leave it out first: a file the dag-processor reaches later.</param>
public sealed record FakeUserDag(string DagId, string[] Tags, FakeUserTask[] Tasks, string? StuckIn = null, int ListedAfter = 0);

/// <summary>A task of a user's DAG.</summary>
/// <param name="TaskId">Its id.</param>
/// <param name="Outcome">The state its run leaves it in: <c>success</c>, <c>skipped</c>, <c>failed</c>, <c>upstream_failed</c>.</param>
/// <param name="Log">The structured messages of its log (StructuredLogMessage), after Airflow's source group.</param>
/// <param name="Pool">Its pool.</param>
public sealed record FakeUserTask(string TaskId, string Outcome = "success", JsonNode[]? Log = null, string Pool = "default_pool");
