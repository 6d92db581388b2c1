using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace AirflowAspire.AppHost.Airflow.DagFiles;

/// <summary>
/// Keeps the deployment's row saying what Airflow made of the DAG files while the stack runs: once the api-server is
/// healthy it reads, every <see cref="Interval"/>, how many DAGs Airflow knows and which files failed to import, as the
/// real dag-processor recorded them (<c>GET /api/v2/dags</c>, <c>GET /api/v2/importErrors</c>; no parse of its own). A file
/// saved with an error shows on the row once the dag-processor has seen it: its file list is refreshed every
/// <c>[dag_processor] refresh_interval</c> (5 s here), a changed file is parsed again at its next pass.
/// </summary>
public static class DagFilesStatus
{
    /// <summary>How often the api-server is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Shows the DAG count and the import errors on <paramref name="airflow"/>'s row for as long as the AppHost runs.</summary>
    public static IResourceBuilder<AirflowResource> WithDagFilesStatus(this IResourceBuilder<AirflowResource> airflow)
    {
        var resource = airflow.Resource;
        return airflow.WatchInBackground((notifications, logger, stopping) => WatchAsync(resource, notifications, logger, stopping),
            "The deployment's row no longer shows the DAG files' state");
    }

    private static async Task WatchAsync(AirflowResource airflow, ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        await notifications.WaitForResourceHealthyAsync(airflow.ApiServer.Name, stopping).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = new Uri(airflow.ApiServer.GetEndpoint("http").Url), Timeout = TimeSpan.FromSeconds(5) };
        AuthenticationHeaderValue? token = null;
        string? lastProblem = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                token ??= await LogInAsync(http, airflow, stopping).ConfigureAwait(false);
                var summary = await ReadAsync(http, token, airflow.Paths.DagsFolder, stopping).ConfigureAwait(false);
                if (summary is null)
                {
                    token = null; // The token expired (24 h) or the api-server restarted with another secret: sign in again.
                }
                else
                {
                    lastProblem = null;
                    await airflow.Row.ShowDagFilesAsync(notifications, airflow, summary).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException
                                                  || exception is TaskCanceledException && !stopping.IsCancellationRequested)
            {
                // The api-server restarting, or stopped: the row keeps its last figures. Said once, not every 2 s.
                if (exception.Message != lastProblem)
                {
                    lastProblem = exception.Message;
                    logger.LogDebug("The DAG files' state could not be read from the api-server: {Message}", exception.Message);
                }
            }
            await Task.Delay(Interval, stopping).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /auth/token</c> as the admin, with the deployment's generated password (never logged).</summary>
    private static async Task<AuthenticationHeaderValue> LogInAsync(HttpClient http, AirflowResource airflow, CancellationToken ct)
    {
        var password = await airflow.Secrets.AdminPassword.GetValueAsync(ct).ConfigureAwait(false);
        using var response = await http.PostAsJsonAsync("/auth/token", new { username = AirflowBuilderExtensions.AdminUser, password }, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"POST /auth/token answered {(int)response.StatusCode}");
        }
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
        return new("Bearer", body.GetProperty("access_token").GetString());
    }

    /// <summary>The summary, or null when the token is refused (401, 403).</summary>
    private static async Task<DagFilesSummary?> ReadAsync(HttpClient http, AuthenticationHeaderValue token, string dagsFolder, CancellationToken ct)
    {
        var dags = await GetAsync(http, token, "/api/v2/dags?limit=1", ct).ConfigureAwait(false);
        var errors = await GetAsync(http, token, "/api/v2/importErrors?limit=100&order_by=filename", ct).ConfigureAwait(false);
        if (dags is not { } dagList || errors is not { } errorList)
        {
            return null;
        }
        var files = errorList.GetProperty("import_errors").EnumerateArray()
            .Select(e => DagFilesSummary.DisplayName(e.GetProperty("filename").GetString() ?? "",
                e.TryGetProperty("bundle_name", out var bundle) && bundle.ValueKind == JsonValueKind.String ? bundle.GetString() : null, dagsFolder))
            .Distinct()
            .ToList();
        return new DagFilesSummary(dagList.GetProperty("total_entries").GetInt32(), files);
    }

    private static async Task<JsonElement?> GetAsync(HttpClient http, AuthenticationHeaderValue token, string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = token;
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
    }
}
