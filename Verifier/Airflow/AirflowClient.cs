using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AirflowAspire.Contracts;

namespace AirflowAspire.Verifier.Airflow;

/// <summary>
/// The calls the Verifier makes to Airflow's REST API v2 and the simple auth manager, as Airflow's
/// OpenAPI documents define them (3.0.3 and newer): JSON in, JSON out, a bearer token after
/// <see cref="LogInAsync"/>.
/// </summary>
public sealed class AirflowClient(HttpClient http)
{
    private AuthenticationHeaderValue? _token;

    /// <summary>Where the client sends its calls.</summary>
    public Uri? BaseAddress => http.BaseAddress;

    /// <summary><c>GET /api/v2/version</c> (no token needed).</summary>
    public Task<AirflowVersion> GetVersionAsync(CancellationToken ct)
        => SendAsync<AirflowVersion>(HttpMethod.Get, "/api/v2/version", null, ct)!;

    /// <summary>
    /// <c>GET /api/v2/monitor/health</c> (no token needed): the status of each component the body reports
    /// (<c>dag_processor</c> may be absent or null as a whole, which the schema allows), read as the AppHost reads it.
    /// </summary>
    public async Task<IReadOnlyList<AirflowComponentHealth>> GetHealthAsync(CancellationToken ct)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get, AirflowHealth.Path, null, ct).ConfigureAwait(false);
        return AirflowHealth.Parse(body);
    }

    /// <summary><c>POST /auth/token</c> with the simple auth manager's user and password; later calls carry the token.</summary>
    public async Task LogInAsync(string username, string password, CancellationToken ct)
    {
        var body = new JsonObject { ["username"] = username, ["password"] = password };
        var token = await SendAsync<JsonElement>(HttpMethod.Post, "/auth/token", body, ct, HttpStatusCode.Created).ConfigureAwait(false);
        _token = new AuthenticationHeaderValue("Bearer", token.GetProperty("access_token").GetString());
    }

    /// <summary><c>GET /api/v2/dags/{dag_id}</c>; null while Airflow has not parsed it (404).</summary>
    public Task<Dag?> GetDagAsync(string dagId, CancellationToken ct)
        => SendAsync<Dag>(HttpMethod.Get, $"/api/v2/dags/{Segment(dagId)}", null, ct, notFoundIsNull: true);

    /// <summary><c>GET /api/v2/importErrors</c>, every page: the DAG files that failed to import.</summary>
    public Task<IReadOnlyList<ImportError>> GetImportErrorsAsync(CancellationToken ct)
        => GetAllPagesAsync<ImportError>("/api/v2/importErrors", "", "import_errors", ct);

    /// <summary>
    /// <c>GET /api/v2/dags</c>, every page: the active DAGs (<c>exclude_stale</c> defaults to true), or those with the tag
    /// <paramref name="tag"/> (<c>tags=NAME</c>).
    /// </summary>
    public Task<IReadOnlyList<Dag>> GetDagsAsync(string? tag, CancellationToken ct)
        => GetAllPagesAsync<Dag>("/api/v2/dags", tag is null ? "" : $"tags={Uri.EscapeDataString(tag)}&", "dags", ct);

    /// <summary><c>GET /api/v2/dags?limit=1</c>: how many active DAGs Airflow has parsed (its <c>total_entries</c>).</summary>
    public async Task<int> CountDagsAsync(CancellationToken ct)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get, "/api/v2/dags?limit=1", null, ct).ConfigureAwait(false);
        return body.GetProperty("total_entries").GetInt32();
    }

    /// <summary><c>PATCH /api/v2/dags/{dag_id}</c> with <c>{"is_paused": …}</c> (the only field the body may have).</summary>
    public Task<Dag> SetPausedAsync(string dagId, bool paused, CancellationToken ct)
        => SendAsync<Dag>(HttpMethod.Patch, $"/api/v2/dags/{Segment(dagId)}", new JsonObject { ["is_paused"] = paused }, ct)!;

    /// <summary>
    /// <c>POST /api/v2/dags/{dag_id}/dagRuns</c> with our own run id. <c>logical_date</c> is a required key that
    /// may be null (an empty body is 422); a retried POST that finds its run already created gets that run.
    /// </summary>
    /// <param name="dagId">The DAG.</param>
    /// <param name="runId">The run id the Verifier chose.</param>
    /// <param name="conf">The run's <c>conf</c> (a JSON object, TriggerDAGRunPostBody's <c>conf</c>); none sends no <c>conf</c>, which Airflow takes as <c>{}</c>.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task<DagRun> TriggerAsync(string dagId, string runId, JsonObject? conf, CancellationToken ct)
    {
        var body = new JsonObject { ["dag_run_id"] = runId, ["logical_date"] = null };
        if (conf is not null)
        {
            body["conf"] = conf.DeepClone();
        }
        try
        {
            return (await SendAsync<DagRun>(HttpMethod.Post, $"/api/v2/dags/{Segment(dagId)}/dagRuns", body, ct).ConfigureAwait(false))!;
        }
        catch (AirflowApiException conflict) when (conflict.Status == HttpStatusCode.Conflict)
        {
            return await GetRunAsync(dagId, runId, ct).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}</c>.</summary>
    public Task<DagRun> GetRunAsync(string dagId, string runId, CancellationToken ct)
        => SendAsync<DagRun>(HttpMethod.Get, $"/api/v2/dags/{Segment(dagId)}/dagRuns/{Segment(runId)}", null, ct)!;

    /// <summary><c>GET …/dagRuns/{dag_run_id}/taskInstances</c>, every page (Airflow answers 50 by default, 100 at most).</summary>
    public Task<IReadOnlyList<TaskInstance>> GetTaskInstancesAsync(string dagId, string runId, CancellationToken ct)
        => GetAllPagesAsync<TaskInstance>($"/api/v2/dags/{Segment(dagId)}/dagRuns/{Segment(runId)}/taskInstances", "", "task_instances", ct);

    /// <summary>
    /// <c>GET …/taskInstances/{task_id}/logs/{try_number}?full_content=true</c> as JSON: the log's lines, each the
    /// <c>event</c> of a structured message (or the plain string Airflow may send instead).
    /// </summary>
    public async Task<IReadOnlyList<string>> GetTaskLogAsync(string dagId, string runId, string taskId, int tryNumber, CancellationToken ct)
        => (await GetTaskLogRecordsAsync(dagId, runId, taskId, tryNumber, ct).ConfigureAwait(false)).Select(r => r.Event).ToList();

    /// <summary>
    /// <c>GET …/taskInstances/{task_id}/logs/{try_number}?full_content=true</c> as JSON, each message with its level and
    /// its <c>error_detail</c> (the structured traceback the task's supervisor puts on an exception's record).
    /// </summary>
    /// <remarks>A mapped task's instance is named by its <paramref name="mapIndex"/>; -1 (Airflow's default) for one that is not mapped.</remarks>
    public async Task<IReadOnlyList<TaskLogRecord>> GetTaskLogRecordsAsync(string dagId, string runId, string taskId, int tryNumber, CancellationToken ct, int mapIndex = -1)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get,
            $"/api/v2/dags/{Segment(dagId)}/dagRuns/{Segment(runId)}/taskInstances/{Segment(taskId)}/logs/{tryNumber}?full_content=true"
            + (mapIndex >= 0 ? $"&map_index={mapIndex}" : ""),
            null, ct).ConfigureAwait(false);
        return body.GetProperty("content").EnumerateArray().Select(TaskLogRecord.From).ToList();
    }

    /// <summary>
    /// Every page of a collection: Airflow's list operations answer <c>limit</c> items from <c>offset</c> (at most
    /// <c>[api] maximum_page_limit</c>, 100 by default) and the <c>total_entries</c> there are.
    /// </summary>
    private async Task<IReadOnlyList<T>> GetAllPagesAsync<T>(string path, string query, string property, CancellationToken ct)
    {
        const int PageSize = 100;
        var all = new List<T>();
        while (true)
        {
            var body = await SendAsync<JsonElement>(HttpMethod.Get, $"{path}?{query}limit={PageSize}&offset={all.Count}", null, ct).ConfigureAwait(false);
            var page = body.GetProperty(property).Deserialize<List<T>>(AirflowJson.Options) ?? [];
            all.AddRange(page);
            if (page.Count == 0 || all.Count >= body.GetProperty("total_entries").GetInt32())
            {
                return all;
            }
        }
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private async Task<T?> SendAsync<T>(HttpMethod method, string pathAndQuery, JsonNode? body, CancellationToken ct,
        HttpStatusCode expected = HttpStatusCode.OK, bool notFoundIsNull = false)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = _token;
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return default;
        }
        if (response.StatusCode != expected)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new AirflowApiException($"{method} {pathAndQuery.Split('?')[0]}", response.StatusCode, Detail(text));
        }
        return await response.Content.ReadFromJsonAsync<T>(AirflowJson.Options, ct).ConfigureAwait(false);
    }

    /// <summary>FastAPI puts the reason in <c>detail</c>: a string, or a list of validation errors.</summary>
    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("detail", out var detail))
            {
                return detail.ValueKind == JsonValueKind.String ? detail.GetString()! : detail.ToString();
            }
        }
        catch (JsonException)
        {
        }
        return body.Length > 500 ? body[..500] : body;
    }
}
