using Microsoft.Extensions.Hosting;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Tests.Fixtures;
using Aspire.Hosting.Eventing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// The health check and connection strings the AppHost registers, used against a real
/// Redis-protocol server (Garnet) started by the test.
/// </summary>
public sealed class DragonflyHealthCheckTests
{
    private const string ServerPassword = "RightPassw0rdForTheServer";

    [Fact]
    public async Task Health_check_is_healthy_when_the_password_is_right()
    {
        using var server = new GarnetServer(ServerPassword);
        await using var app = await ModelPointingAt(server, password: ServerPassword);

        var report = await CheckDragonflyAsync(app);

        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task Health_check_is_unhealthy_when_the_password_is_wrong()
    {
        using var server = new GarnetServer(ServerPassword);
        await using var app = await ModelPointingAt(server, password: "AnotherPassw0rdEntirely");

        var report = await CheckDragonflyAsync(app);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }

    [Fact]
    public async Task Health_check_is_unhealthy_when_nothing_listens()
    {
        await using var app = await AppHostModel.BuildAsync($"--Parameters:dragonfly-password={ServerPassword}", $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}");
        app.Resource<DragonflyExecutableResource>("dragonfly").AllocateEndpoint("tcp", GarnetServer.FreePort());

        var report = await CheckDragonflyAsync(app);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }

    [Fact]
    public async Task Celery_result_backend_url_selects_db_1_for_a_real_client()
    {
        using var server = new GarnetServer(ServerPassword);
        await using var app = await ModelPointingAt(server, password: ServerPassword);
        var url = new Uri(await app.Resource<DragonflyExecutableResource>("dragonfly").AsCeleryBroker().Url(1).ResolveAsync());

        // Read the URL as Kombu's Redis transport does: password from the user info, db from the path.
        var options = new ConfigurationOptions
        {
            EndPoints = { { url.Host, url.Port } },
            Password = Uri.UnescapeDataString(url.UserInfo.TrimStart(':')),
            DefaultDatabase = int.Parse(url.AbsolutePath.Trim('/')),
        };
        await using var client = await ConnectionMultiplexer.ConnectAsync(options);
        var key = $"celery-task-meta-{Guid.NewGuid()}";
        await client.GetDatabase().StringSetAsync(key, """{"status": "SUCCESS"}""");

        Assert.Equal(1, client.GetDatabase().Database);
        Assert.Equal("""{"status": "SUCCESS"}""", (string?)await client.GetDatabase().StringGetAsync(key));
        Assert.False(await client.GetDatabase(0).KeyExistsAsync(key), "db 0 (the broker) must not see the result backend's keys");
    }

    private static async Task<AppHostModel.App> ModelPointingAt(GarnetServer server, string password)
    {
        var app = await AppHostModel.BuildAsync($"--Parameters:dragonfly-password={password}", $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}");
        app.Resource<DragonflyExecutableResource>("dragonfly").AllocateEndpoint("tcp", server.Port);
        return app;
    }

    /// <summary>Runs the check as Aspire does: after it publishes the resource's connection string.</summary>
    private static async Task<HealthReportEntry> CheckDragonflyAsync(IHost app)
    {
        var dragonfly = app.Resource<DragonflyExecutableResource>("dragonfly");
        await app.Services.GetRequiredService<IDistributedApplicationEventing>()
            .PublishAsync(new ConnectionStringAvailableEvent(dragonfly, app.Services), TestContext.Current.CancellationToken);

        var report = await app.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(check => check.Name == "dragonfly_check", TestContext.Current.CancellationToken);
        return report.Entries["dragonfly_check"];
    }
}
