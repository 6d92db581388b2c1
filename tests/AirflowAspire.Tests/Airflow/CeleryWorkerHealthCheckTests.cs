using AirflowAspire.AppHost.Airflow;
using AirflowAspire.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// The worker health check speaks Celery's remote-control protocol itself; these tests hold it against
/// a real Celery worker (Debian's python3-celery) on a real Redis-protocol server (Garnet, in process),
/// so a mistake in the wire format shows up as a worker that never answers.
/// </summary>
public sealed class CeleryWorkerHealthCheckTests
{
    private static readonly string Host = System.Net.Dns.GetHostName();

    private static async Task<HealthCheckResult> CheckAsync(string connectionString, string node)
    {
        await using var check = new CeleryWorkerHealthCheck(ReferenceExpression.Create($"{connectionString}"), database: 0, node);
        return await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Healthy_when_the_named_worker_answers_a_ping()
    {
        DebianPrerequisites.Require();
        using var broker = new GarnetServer("test-broker-password");
        var node = $"airflow-worker-1@{Host}";
        using var worker = await CeleryWorkerProcess.StartAsync(broker.CeleryUrl(0), node);

        // As Aspire's health service does, check again while it is not yet healthy (bounded): on a
        // loaded machine a worker that just said "ready" may miss the first ping's 2 s.
        var result = await CheckAsync(broker.ConnectionString, node);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (result.Status != HealthStatus.Healthy && DateTime.UtcNow < deadline)
        {
            result = await CheckAsync(broker.ConnectionString, node);
        }

        Assert.True(result.Status == HealthStatus.Healthy, $"{result.Description}\nworker output:\n{worker.Output}");
        Assert.Contains("pong", result.Description);
    }

    [Fact]
    public async Task Unhealthy_when_workers_listen_but_not_the_one_named()
    {
        DebianPrerequisites.Require();
        using var broker = new GarnetServer("test-broker-password");
        using var other = await CeleryWorkerProcess.StartAsync(broker.CeleryUrl(0), $"airflow-worker-2@{Host}");

        var result = await CheckAsync(broker.ConnectionString, $"airflow-worker-1@{Host}");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains($"airflow-worker-1@{Host} did not answer a ping", result.Description);
    }

    [Fact]
    public async Task Unhealthy_at_once_when_no_worker_is_connected_to_the_broker()
    {
        using var broker = new GarnetServer("test-broker-password");
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = await CheckAsync(broker.ConnectionString, $"airflow-worker-1@{Host}");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("No Celery worker is connected to the broker", result.Description);
        Assert.True(started.Elapsed < CeleryWorkerHealthCheck.PingTimeout, "Nobody listens: no need to wait for the ping's timeout.");
    }

    [Fact]
    public async Task Unhealthy_when_the_broker_does_not_answer()
    {
        var result = await CheckAsync($"127.0.0.1:{GarnetServer.FreePort()},password=x", $"airflow-worker-1@{Host}");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("the broker is not answering", result.Description);
    }
}
