using System.Text.Json;
using AirflowAspire.AppHost.Airflow;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// The api-server is healthy only when <c>/api/v2/monitor/health</c>'s body says the metadata
/// database is healthy: that endpoint answers 200 whatever the components' state.
/// Bodies shaped as Airflow 3.0.3's HealthInfoResponse (v2-rest-api-generated.yaml).
/// </summary>
public sealed class AirflowApiHealthCheckTests
{
    [Theory]
    [InlineData("healthy", HealthStatus.Healthy)]
    [InlineData("unhealthy", HealthStatus.Unhealthy)]
    public void Reads_the_metadata_database_status_from_the_body(string status, HealthStatus expected)
    {
        var body = JsonDocument.Parse($$$"""
            {"metadatabase": {"status": "{{{status}}}"},
             "scheduler": {"status": null, "latest_scheduler_heartbeat": null},
             "triggerer": {"status": null, "latest_triggerer_heartbeat": null},
             "dag_processor": {"status": null, "latest_dag_processor_heartbeat": null}}
            """).RootElement;

        Assert.Equal(expected, AirflowApiHealthCheck.Evaluate(body).Status);
    }

    [Theory]
    [InlineData("""{"metadatabase": {"status": null}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"detail": "Not Found"}""")]
    public void A_body_without_a_healthy_metadata_database_is_unhealthy(string json)
    {
        var result = AirflowApiHealthCheck.Evaluate(JsonDocument.Parse(json).RootElement);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("metadata database", result.Description);
    }
}
