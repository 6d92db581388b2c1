using System.Net;
using System.Net.Sockets;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Hosts;

/// <summary>
/// The join check a workers-only host waits on, against a real Redis-protocol server (Garnet) and a real HTTP listener:
/// each way the deployment cannot be joined is named with its fix, and a joinable one is healthy.
/// </summary>
public sealed class JoinHealthCheckTests
{
    private const string Password = "BrokerPassw0rd";

    private static async Task<HealthCheckResult> CheckAsync(JoinFile join, string password = Password)
    {
        var builder = BareBuilder.Create();
        var parameter = builder.AddParameter("broker-password", password, secret: true);
        return await new JoinHealthCheck(join, "/copies/join.json", parameter.Resource)
            .CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
    }

    private static JoinFile JoinTo(GarnetServer broker, int apiPort) => JoinFileTests.Sample() with
    {
        BrokerHost = "127.0.0.1",
        BrokerPort = broker.Port,
        ExecutionApiUrl = $"http://127.0.0.1:{apiPort}/execution/",
    };

    private static async Task AnnounceAsync(GarnetServer broker, string id)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(broker.ConnectionString);
        await connection.GetDatabase(0).StringSetAsync(JoinFile.DeploymentKey, id);
    }

    /// <summary>An api-server stand-in that answers its health endpoint 200.</summary>
    private static (HttpListener Listener, int Port) HealthyApi()
    {
        var port = GarnetServer.FreePort();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    context.Response.StatusCode = context.Request.Url!.AbsolutePath == "/api/v2/monitor/health" ? 200 : 404;
                    context.Response.Close();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
            }
        });
        return (listener, port);
    }

    [Fact]
    public async Task An_unreachable_broker_is_named_with_the_main_hosts_setting_and_the_port()
    {
        var port = GarnetServer.FreePort();
        var result = await CheckAsync(JoinFileTests.Sample() with { BrokerHost = "127.0.0.1", BrokerPort = port });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains($"Cannot reach the broker at 127.0.0.1:{port} named in /copies/join.json", result.Description);
        Assert.Contains("--Airflow:ListenAddress=127.0.0.1", result.Description);
    }

    [Fact]
    public async Task A_refused_password_says_the_file_is_stale_or_foreign()
    {
        using var broker = new GarnetServer(Password);
        var result = await CheckAsync(JoinTo(broker, GarnetServer.FreePort()), password: "NotThePassword");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("refused the password in /copies/join.json", result.Description);
        Assert.DoesNotContain("NotThePassword", result.Description);
    }

    [Fact]
    public async Task A_broker_of_another_deployment_is_named_as_such()
    {
        using var broker = new GarnetServer(Password);
        await AnnounceAsync(broker, JoinFile.IdFor("another deployment's secret"));

        var result = await CheckAsync(JoinTo(broker, GarnetServer.FreePort()));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("is from another deployment", result.Description);
    }

    [Fact]
    public async Task A_broker_no_deployment_announced_itself_on_asks_for_the_main_host()
    {
        using var broker = new GarnetServer(Password);

        var result = await CheckAsync(JoinTo(broker, GarnetServer.FreePort()));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("start the main host's AppHost", result.Description);
    }

    [Fact]
    public async Task An_unreachable_api_server_is_named_with_its_URL()
    {
        using var broker = new GarnetServer(Password);
        var join = JoinTo(broker, GarnetServer.FreePort());
        await AnnounceAsync(broker, join.DeploymentId);

        var result = await CheckAsync(join);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains($"Cannot reach the api-server's Task Execution API at {join.ExecutionApiUrl}", result.Description);
    }

    [Fact]
    public async Task A_deployment_that_can_be_joined_is_healthy()
    {
        using var broker = new GarnetServer(Password);
        var (api, port) = HealthyApi();
        using var _ = api;
        var join = JoinTo(broker, port);
        await AnnounceAsync(broker, join.DeploymentId);

        var result = await CheckAsync(join);

        Assert.True(result.Status == HealthStatus.Healthy, result.Description);
        Assert.Contains(join.DeploymentId, result.Description);
    }
}
