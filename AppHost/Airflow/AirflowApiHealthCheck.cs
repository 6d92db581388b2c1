using System.Net.Http.Json;
using System.Text.Json;
using AirflowAspire.Contracts;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// Healthy when the api-server's <c>GET /api/v2/monitor/health</c> reports the metadata database
/// healthy. That endpoint answers 200 even when components are down (apache/airflow#22895), so the
/// body is read, not the status code.
/// </summary>
public sealed class AirflowApiHealthCheck(EndpointReference endpoint) : IHealthCheck
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var url = $"{endpoint.Url}{AirflowHealth.Path}";
            using var response = await Http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return HealthCheckResult.Unhealthy($"{url} answered {(int)response.StatusCode}.");
            }
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            return Evaluate(body);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return HealthCheckResult.Unhealthy($"Airflow's api-server is not answering: {exception.Message}");
        }
    }

    /// <summary>Reads a <c>/api/v2/monitor/health</c> body.</summary>
    /// <exception cref="JsonException">The body is not a JSON object.</exception>
    public static HealthCheckResult Evaluate(JsonElement body)
    {
        var status = AirflowHealth.Parse(body).StatusOf(AirflowHealth.Metadatabase);
        return status == AirflowHealth.Healthy
            ? HealthCheckResult.Healthy("The metadata database is healthy.")
            : HealthCheckResult.Unhealthy($"The api-server reports the metadata database as '{status ?? "missing"}'.");
    }
}
