using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.StartFailures;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StartFailures;

/// <summary>
/// The model: no raised memlock limit unless asked for, the image settings, and which failed resources each resource is
/// stopped by.
/// </summary>
public sealed class StartFailureModelTests
{
    [Fact]
    public async Task The_Dragonfly_container_asks_the_engine_for_no_memlock_limit_by_default()
    {
        await using var app = await AppHostModel.BuildAsync();

        Assert.Empty(await RuntimeArgumentsAsync(app.Resource<DragonflyResource>("dragonfly")));
    }

    [Theory]
    [InlineData("unlimited", "memlock=-1:-1")]
    [InlineData("64MiB", "memlock=67108864:67108864")]
    [InlineData("65536", "memlock=65536:65536")]
    public async Task Dragonfly_MemlockLimit_raises_it_with_the_engine_s_ulimit(string setting, string ulimit)
    {
        await using var app = await AppHostModel.BuildAsync($"--Dragonfly:MemlockLimit={setting}");

        Assert.Equal(["--ulimit", ulimit], await RuntimeArgumentsAsync(app.Resource<DragonflyResource>("dragonfly")));
    }

    [Fact]
    public async Task The_image_settings_name_the_image_the_engine_runs()
    {
        await using var app = await AppHostModel.BuildAsync("--Dragonfly:Registry=mirror.example.com:5000/hub", "--Dragonfly:Image=team/dragonfly", "--Dragonfly:ImageTag=v1.40.1");

        var image = app.Resource<DragonflyResource>("dragonfly").Annotations.OfType<ContainerImageAnnotation>().Single();
        Assert.Equal(("mirror.example.com:5000/hub", "team/dragonfly", "v1.40.1"), (image.Registry, image.Image, image.Tag));
    }

    [Fact]
    public async Task Redis_and_PostgreSQL_keep_their_pinned_images_and_take_the_settings()
    {
        await using var defaults = await AppHostModel.BuildAsync("--Airflow:Broker=redis", "--Airflow:Database=postgres");
        await using var set = await AppHostModel.BuildAsync("--Airflow:Broker=redis", "--Airflow:Database=postgres",
            "--Redis:Registry=", "--Redis:Image=mirror/redis", "--Redis:ImageTag=8.6.1", "--Postgres:Registry=registry.example.com", "--Postgres:ImageTag=18.3-bookworm");

        Assert.Equal(("docker.io", "library/redis", "8.6"), ImageOf(defaults, "redis"));
        Assert.Equal(("docker.io", "library/postgres", "18.3"), ImageOf(defaults, "airflow-postgres"));
        Assert.Equal(((string?)null, "mirror/redis", "8.6.1"), ImageOf(set, "redis"));
        Assert.Equal(("registry.example.com", "library/postgres", "18.3-bookworm"), ImageOf(set, "airflow-postgres"));
    }

    [Fact]
    public async Task Every_Airflow_process_and_the_Verifier_are_stopped_by_the_broker_and_the_database_they_wait_for()
    {
        await using var app = await AppHostModel.BuildAsync("--Airflow:Database=postgres");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        foreach (var name in new[] { "airflow-api", "airflow-scheduler", "airflow-worker-1", "verifier" })
        {
            var names = StartFailureExplanations.ExplainedDependencies(model.Resources.Single(r => r.Name == name)).Select(r => r.Name).Order();
            Assert.Equal(["airflow-postgres", "dragonfly"], names);
        }
        // The migration waits for the database (a child of the server) and the broker; the environment step for neither.
        Assert.Equal(["airflow-postgres", "dragonfly"], StartFailureExplanations.ExplainedDependencies(model.Resources.Single(r => r.Name == "airflow-migrate")).Select(r => r.Name).Order());
        Assert.Empty(StartFailureExplanations.ExplainedDependencies(model.Resources.Single(r => r.Name == "airflow-env")));
    }

    private static (string?, string, string?) ImageOf(Microsoft.Extensions.Hosting.IHost app, string name)
    {
        var image = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name)
            .Annotations.OfType<ContainerImageAnnotation>().Single();
        return (image.Registry, image.Image, image.Tag);
    }

    private static async Task<List<string>> RuntimeArgumentsAsync(IResource resource)
    {
        var args = new List<object>();
        foreach (var callback in resource.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
        {
            await callback.Callback(new ContainerRuntimeArgsCallbackContext(args, TestContext.Current.CancellationToken));
        }
        return [.. args.Select(a => a.ToString()!)];
    }
}
