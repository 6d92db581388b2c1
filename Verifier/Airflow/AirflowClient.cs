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

    /// <summary><c>GET /api/v2/importErrors</c>: the DAG files that failed to import.</summary>
    public async Task<IReadOnlyList<ImportError>> GetImportErrorsAsync(CancellationToken ct)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get, "/api/v2/importErrors?limit=100", null, ct).ConfigureAwait(false);
        return body.GetProperty("import_errors").Deserialize<List<ImportError>>(AirflowJson.Options) ?? [];
    }

    /// <summary><c>PATCH /api/v2/dags/{dag_id}</c> with <c>{"is_paused": …}</c> (the only field the body may have).</summary>
    public Task<Dag> SetPausedAsync(string dagId, bool paused, CancellationToken ct)
        => SendAsync<Dag>(HttpMethod.Patch, $"/api/v2/dags/{Segment(dagId)}", new JsonObject { ["is_paused"] = paused }, ct)!;

    /// <summary>
    /// <c>POST /api/v2/dags/{dag_id}/dagRuns</c> with our own run id. <c>logical_date</c> is a required key that
    /// may be null (an empty body is 422); a retried POST that finds its run already created gets that run.
    /// </summary>
    public async Task<DagRun> TriggerAsync(string dagId, string runId, CancellationToken ct)
    {
        var body = new JsonObject { ["dag_run_id"] = runId, ["logical_date"] = null };
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

    /// <summary><c>GET …/dagRuns/{dag_run_id}/taskInstances</c>.</summary>
    public async Task<IReadOnlyList<TaskInstance>> GetTaskInstancesAsync(string dagId, string runId, CancellationToken ct)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get,
            $"/api/v2/dags/{Segment(dagId)}/dagRuns/{Segment(runId)}/taskInstances", null, ct).ConfigureAwait(false);
        return body.GetProperty("task_instances").Deserialize<List<TaskInstance>>(AirflowJson.Options) ?? [];
    }

    /// <summary>
    /// <c>GET …/taskInstances/{task_id}/logs/{try_number}?full_content=true</c> as JSON: the log's lines, each the
    /// <c>event</c> of a structured message (or the plain string Airflow may send instead).
    /// </summary>
    public async Task<IReadOnlyList<string>> GetTaskLogAsync(string dagId, string runId, string taskId, int tryNumber, CancellationToken ct)
    {
        var body = await SendAsync<JsonElement>(HttpMethod.Get,
            $"/api/v2/dags/{Segment(dagId)}/dagRuns/{Segment(runId)}/taskInstances/{Segment(taskId)}/logs/{tryNumber}?full_content=true",
            null, ct).ConfigureAwait(false);
        return body.GetProperty("content").EnumerateArray().Select(line => line.ValueKind switch
        {
            JsonValueKind.String => line.GetString() ?? "",
            JsonValueKind.Object when line.TryGetProperty("event", out var e) => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.ToString(),
            _ => line.ToString(),
        }).ToList();
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
