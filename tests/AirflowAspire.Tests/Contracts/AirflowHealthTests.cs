using System.Text.Json;
using AirflowAspire.Contracts;

namespace AirflowAspire.Tests.Contracts;

/// <summary>
/// The body of <c>GET /api/v2/monitor/health</c> (Airflow 3.0.3's HealthInfoResponse), read once for the AppHost's
/// api-server health check and the Verifier's components-healthy check.
/// </summary>
public sealed class AirflowHealthTests
{
    private static IReadOnlyList<AirflowComponentHealth> Parse(string json) => AirflowHealth.Parse(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Reads_each_components_status_in_the_schemas_order()
    {
        var health = Parse("""
            {"triggerer": {"status": null, "latest_triggerer_heartbeat": null},
             "metadatabase": {"status": "healthy"},
             "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": "2026-01-01T00:00:00Z"},
             "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2026-01-01T00:00:00Z"}}
            """);

        Assert.Equal([new("metadatabase", "healthy"), new("scheduler", "unhealthy"), new("dag_processor", "healthy"), new("triggerer", null)], health);
        Assert.True(health[0].IsHealthy);
        Assert.Equal("unhealthy", health.StatusOf(AirflowHealth.Scheduler));
    }

    [Theory]
    [InlineData("""{"metadatabase": {"status": "healthy"}, "dag_processor": null}""")]
    [InlineData("""{"metadatabase": {"status": "healthy"}}""")]
    public void A_component_absent_or_null_as_a_whole_is_left_out(string json)
    {
        var health = Parse(json);

        Assert.Equal([new("metadatabase", "healthy")], health);
        Assert.Null(health.StatusOf(AirflowHealth.DagProcessor));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"healthy\"")]
    public void A_body_that_is_not_an_object_is_not_Airflows(string json)
        => Assert.Throws<JsonException>(() => Parse(json));
}
