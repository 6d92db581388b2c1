using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;
using AirflowAspire.Tests.Fixtures;
using Aspire.Hosting.Eventing;

namespace AirflowAspire.Tests.Redis;

/// <summary>Airflow:Broker=redis: Redis from Aspire.Hosting.Redis (or a local redis-server), wired as Dragonfly is.</summary>
public sealed class RedisBrokerModelTests
{
    private const string Password = "RedisPassw0rdForTests";

    [Fact]
    public async Task Redis_comes_from_AddRedis_with_the_pinned_tag_and_every_process_gets_its_Celery_urls()
    {
        await using var app = await AppHostModel.BuildAsync("--Airflow:Broker=redis", $"--Parameters:redis-password={Password}");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var redis = app.Resource<RedisResource>("redis");
        redis.AllocateEndpoint("tcp", 16390, targetPort: 6379);
        app.AllocateAllEndpoints();

        Assert.Empty(model.Resources.OfType<IDragonflyResource>());
        Assert.Equal(RedisContainerImage.Tag, redis.Annotations.OfType<ContainerImageAnnotation>().Single().Tag);
        // Plain TCP on loopback, as Dragonfly: no TLS endpoint (Aspire 13 adds one when a developer certificate exists).
        Assert.Equal("redis", redis.PrimaryEndpoint.EndpointAnnotation.UriScheme);
        foreach (var name in new[] { "airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-worker-1" })
        {
            var env = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(name));
            Assert.Equal($"redis://:{Password}@localhost:16390/0", env["AIRFLOW__CELERY__BROKER_URL"]);
            Assert.Equal($"redis://:{Password}@localhost:16390/1", env["AIRFLOW__CELERY__RESULT_BACKEND"]);
            Assert.Contains(app.Resource<AirflowProcessResource>(name).Annotations.OfType<WaitAnnotation>(), w => w.Resource == redis);
        }
        var verifier = await app.EnvironmentAsync(app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier"));
        Assert.Equal("redis", verifier["Verifier__ExpectedBroker"]);
        Assert.Equal("redis", verifier["Verifier__Resources__Broker"]);
        Assert.Equal($"localhost:16390,password={Password}", verifier["ConnectionStrings__broker"]);
    }

    [Fact]
    public async Task A_local_redis_server_gets_its_password_in_an_owner_only_file_never_on_its_command_line()
    {
        using var folder = new TemporaryFolder();
        var executable = Path.Combine(folder.Path, "redis-server");
        await File.WriteAllTextAsync(executable, "", TestContext.Current.CancellationToken);
        await using var app = await AppHostModel.BuildAsync("--Airflow:Broker=redis", $"--Parameters:redis-password={Password}",
            $"--Redis:Executable={executable}");
        var redis = app.Resource<RedisExecutableResource>("redis");
        redis.AllocateEndpoint("tcp", 16391, targetPort: 40391);
        app.AllocateAllEndpoints();

        var args = await app.ArgumentsAsync(redis);
        await app.Services.GetRequiredService<IDistributedApplicationEventing>()
            .PublishAsync(new BeforeResourceStartedEvent(redis, app.Services), TestContext.Current.CancellationToken);

        Assert.Equal([redis.ConfigurationFile, "--port", "40391", "--bind", "127.0.0.1"], args);
        var config = await File.ReadAllLinesAsync(redis.ConfigurationFile, TestContext.Current.CancellationToken);
        Assert.Contains($"requirepass \"{Password}\"", config);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(redis.ConfigurationFile));
        }
        Assert.Equal("redis_check", redis.Annotations.OfType<HealthCheckAnnotation>().Single().Key);
        Assert.Equal($"localhost:16391,password={Password}", await redis.ConnectionStringExpression.ResolveAsync());
        Assert.Equal("redis", (await app.EnvironmentAsync(app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier")))["Verifier__ExpectedBroker"]);
    }

    [Theory]
    [InlineData("--Airflow:Broker=kafka", "Airflow:Broker", "dragonfly or redis")]
    [InlineData("--Redis:Executable=/nonexistent/redis-server", "Redis:Executable", "an existing redis-server binary")]
    public async Task A_bad_broker_setting_stops_the_AppHost_naming_it(string argument, string setting, string expected)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync("--Airflow:Broker=redis", argument));

        var invalid = Assert.IsType<InvalidSettingException>(exception.GetBaseException());
        Assert.Equal(setting, invalid.Setting);
        Assert.Contains(expected, invalid.Message);
    }
}
