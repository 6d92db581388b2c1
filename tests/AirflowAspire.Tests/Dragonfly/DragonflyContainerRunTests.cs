using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// The Dragonfly container run by DCP on a real Docker engine, from a test image that starts as Dragonfly's does (the
/// Dragonfly stand-in behind Dragonfly's entrypoint, see tests/container-images/build), named through the image settings.
/// This engine, like rootless Podman and many VMs, may not raise RLIMIT_MEMLOCK.
/// </summary>
[Collection(ContainerEngineCollection.Name)]
public sealed class DragonflyContainerRunTests
{
    [Fact]
    public async Task The_container_starts_by_default_where_the_engine_may_not_raise_memlock_and_its_dependants_proceed()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync(ContainerEngine.DragonflyTestImage);

        await run.App.WaitForHealthyAsync("dragonfly", StartFailureRun.Bound);
        var migration = await run.App.WaitForStateAsync("airflow-migrate", StartFailureRun.Bound, "Finished", "Exited", "FailedToStart");
        Assert.Equal(0, migration.Snapshot.ExitCode);
        // No --ulimit asked of the engine: the container has the engine's default limits.
        var dragonfly = await run.App.App.ResourceNotifications.WaitForResourceAsync("dragonfly", _ => true, TestContext.Current.CancellationToken);
        var (exitCode, output) = await ContainerEngine.DockerAsync(TimeSpan.FromSeconds(30), "inspect", "--format", "{{json .HostConfig.Ulimits}}", dragonfly.ResourceId);
        Assert.True(exitCode == 0, output);
        Assert.Contains(output.Trim(), new[] { "null", "[]" });
    }

    [Fact]
    public async Task A_memlock_limit_the_engine_refuses_is_named_on_the_row_and_what_waits_stops_at_once()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync([.. ContainerEngine.DragonflyTestImage, "--Dragonfly:MemlockLimit=unlimited"]);

        var explanation = await run.ExplanationAsync("dragonfly", "Dragonfly cannot start: the container engine may not raise");
        Assert.Contains("runc: \"error setting rlimit type 8: operation not permitted\"", explanation);
        Assert.Contains("Fix: remove Dragonfly:MemlockLimit", explanation);
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation, beforeTheOrchestratorGivesUp: true);
    }

    [Fact]
    public async Task An_image_whose_registry_cannot_be_reached_is_named_with_the_registry_setting()
    {
        await ContainerEngine.RequireAsync();

        // Port 1 on loopback: nothing listens, the pull is refused at once.
        await using var run = await StartFailureRun.StartAsync("--Dragonfly:Registry=localhost:1", $"--Dragonfly:Image={ContainerEngine.DragonflyImage}");

        var explanation = await run.ExplanationAsync("dragonfly", "Dragonfly cannot start: its image localhost:1/airflowaspire-tests/dragonfly:v1.40.1 is not on this machine");
        Assert.Contains("the registry localhost:1 cannot be reached", explanation);
        Assert.Contains("connection refused", explanation);
        Assert.Contains("set Dragonfly:Registry to a mirror", explanation);
        Assert.Contains("--Dragonfly:Executable=", explanation);
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation);
    }

    [Fact]
    public async Task From_a_mirror_registry_the_image_is_pulled_and_a_tag_it_lacks_is_named_with_the_tag_setting()
    {
        await ContainerEngine.RequireAsync();
        await using var registry = await LocalRegistry.StartAsync();
        await registry.PushAsync($"{ContainerEngine.TestRegistry}/{ContainerEngine.DragonflyImage}:v1.40.1", ContainerEngine.DragonflyImage, "v1.40.1");
        string[] mirror = [$"--Dragonfly:Registry={registry.Address}", $"--Dragonfly:Image={ContainerEngine.DragonflyImage}"];

        await using (var pulled = await StartFailureRun.StartAsync(mirror))
        {
            await pulled.App.WaitForHealthyAsync("dragonfly", StartFailureRun.Bound);
        }

        await using var run = await StartFailureRun.StartAsync([.. mirror, "--Dragonfly:ImageTag=v1.99.0"]);
        var explanation = await run.ExplanationAsync("dragonfly", $"Dragonfly cannot start: the registry {registry.Address} has no tag v1.99.0 of {ContainerEngine.DragonflyImage}");
        Assert.Contains("manifest unknown", explanation);
        Assert.Contains("Fix: set Dragonfly:ImageTag to a tag the registry has", explanation);
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation, beforeTheOrchestratorGivesUp: true);
    }

    [Fact]
    public async Task A_container_that_exits_at_start_is_explained_with_its_last_line_and_what_waits_stops()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync($"--Dragonfly:Registry={ContainerEngine.TestRegistry}", $"--Dragonfly:Image={ContainerEngine.DragonflyExitsImage}");

        var explanation = await run.ExplanationAsync("dragonfly", "Dragonfly exited at start with exit code 1: \"ERROR: Unknown environment variable DFLY_PASSWORD\"");
        Assert.Contains("Fix: remove that variable", explanation);
        Assert.Contains("localhost/airflowaspire-tests/dragonfly-exits:v1.40.1", explanation);
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation);
    }
}
