using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Redis;

/// <summary>
/// Redis as Aspire.Hosting.Redis's container (<c>Airflow:Broker=redis</c>) run by DCP on a real Docker engine, from a test image
/// of Debian's redis-server named through the Redis image settings.
/// </summary>
[Collection(ContainerEngineCollection.Name)]
public sealed class RedisContainerRunTests
{
    [Fact]
    public async Task The_Redis_container_from_the_image_settings_becomes_healthy_and_the_migration_runs()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync("--Airflow:Broker=redis",
            $"--Redis:Registry={ContainerEngine.TestRegistry}", $"--Redis:Image={ContainerEngine.RedisImage}");

        // Healthy: it answered an authenticated PING with the generated password.
        await run.App.WaitForHealthyAsync("redis", StartFailureRun.Bound);
        var migration = await run.App.WaitForStateAsync("airflow-migrate", StartFailureRun.Bound, "Finished", "Exited", "FailedToStart");
        Assert.Equal(0, migration.Snapshot.ExitCode);
    }

    [Fact]
    public async Task An_image_whose_registry_cannot_be_reached_is_named_on_the_Redis_row_and_what_waits_stops()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync("--Airflow:Broker=redis", "--Redis:Registry=localhost:1");

        var explanation = await run.ExplanationAsync("redis", "Redis cannot start: its image localhost:1/library/redis:8.6 is not on this machine");
        Assert.Contains("set Redis:Registry to a mirror", explanation);
        Assert.Contains("--Redis:Executable=/usr/bin/redis-server", explanation);
        await run.AssertDependentsFailNamingAsync("redis", explanation);
    }
}
