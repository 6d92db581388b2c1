using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// What the AppHost asks Dragonfly to start with, read from the model it builds.
/// </summary>
public sealed class DragonflyModelTests
{
    private const string Password = "Sup3rSecretPassw0rdXyZ";
    private static readonly string PasswordArg = $"--Parameters:dragonfly-password={Password}";

    [Fact]
    public async Task Container_uses_the_pinned_Dragonfly_image()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var image = dragonfly.Annotations.OfType<ContainerImageAnnotation>().Single();
        Assert.Equal("docker.dragonflydb.io", image.Registry);
        Assert.Equal("dragonflydb/dragonfly", image.Image);
        Assert.Equal("v1.40.1", image.Tag);
    }

    [Fact]
    public async Task Container_gets_explicit_threads_matching_memory_no_snapshots_and_no_version_check()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var args = await app.ArgumentsAsync(dragonfly);

        // Flags alone: the image's entrypoint prepends `dragonfly --logtostderr` when the first argument is a flag.
        Assert.Equal(["--proactor_threads=2", "--maxmemory=536870912", "--version_check=false", "--dbfilename="], args);
    }

    [Fact]
    public async Task Password_reaches_Dragonfly_only_as_DFLY_requirepass_and_no_other_DFLY_variable_is_set()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var environment = await app.EnvironmentAsync(dragonfly);
        var args = await app.ArgumentsAsync(dragonfly);

        Assert.Equal(Password, environment["DFLY_requirepass"]);
        Assert.Equal(["DFLY_requirepass"], environment.Keys.Where(k => k.StartsWith("DFLY_", StringComparison.Ordinal)));
        Assert.DoesNotContain(args, a => a.Contains(Password, StringComparison.Ordinal));
        Assert.True(dragonfly.PasswordParameter!.Secret, "the password parameter must be a secret");
    }

    [Fact]
    public async Task Generated_password_is_a_secret_parameter_without_characters_that_break_connection_strings()
    {
        await using var app = await AppHostModel.BuildAsync();
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var password = await dragonfly.PasswordParameter!.GetValueAsync(TestContext.Current.CancellationToken);

        Assert.True(dragonfly.PasswordParameter.Secret);
        Assert.Matches("^[A-Za-z0-9]{22,}$", password);
    }

    [Fact]
    public async Task Container_exposes_the_Redis_protocol_port_with_an_authenticated_health_check()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var endpoint = dragonfly.Annotations.OfType<EndpointAnnotation>().Single();
        Assert.Equal(("tcp", 6379, "redis"), (endpoint.Name, endpoint.TargetPort, endpoint.UriScheme));
        Assert.Equal("dragonfly_check", dragonfly.Annotations.OfType<HealthCheckAnnotation>().Single().Key);
    }

    [Fact]
    public async Task Connection_string_and_Celery_urls_resolve_to_the_allocated_endpoint_and_password()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");
        dragonfly.AllocateEndpoint("tcp", 16379, targetPort: 6379);

        Assert.Equal($"localhost:16379,password={Password}", await dragonfly.ConnectionStringExpression.ResolveAsync());
        Assert.Equal($"redis://:{Password}@localhost:16379/0", await dragonfly.AsCeleryBroker().Url(0).ResolveAsync());
        Assert.Equal($"redis://:{Password}@localhost:16379/1", await dragonfly.AsCeleryBroker().Url(1).ResolveAsync());
    }

    [Fact]
    public async Task Celery_url_encodes_a_password_that_is_not_url_safe()
    {
        await using var app = await AppHostModel.BuildAsync("--Parameters:dragonfly-password=p@ss/w:rd?#%");
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");
        dragonfly.AllocateEndpoint("tcp", 16379, targetPort: 6379);

        Assert.Equal("redis://:p%40ss%2Fw%3Ard%3F%23%25@localhost:16379/1", await dragonfly.AsCeleryBroker().Url(1).ResolveAsync());
    }

    [Fact]
    public async Task Threads_setting_raises_the_memory_limit_with_it()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg, "--Dragonfly:Threads=4");
        var args = await app.ArgumentsAsync(app.Resource<DragonflyResource>("dragonfly"));

        Assert.Contains("--proactor_threads=4", args);
        Assert.Contains($"--maxmemory={4L * 256 * 1024 * 1024}", args);
    }

    [Fact]
    public async Task Persistent_setting_mounts_a_data_volume_and_turns_snapshots_on()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg, "--Dragonfly:Persistent=true");
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");

        var args = await app.ArgumentsAsync(dragonfly);
        var mount = dragonfly.Annotations.OfType<ContainerMountAnnotation>().Single();

        Assert.Equal((ContainerMountType.Volume, "/data"), (mount.Type, mount.Target));
        Assert.Contains("--dir=/data", args);
        Assert.Contains("--dbfilename=dump", args);
        Assert.Contains("--snapshot_cron=*/5 * * * *", args);
        Assert.DoesNotContain("--dbfilename=", args);
    }

    [Fact]
    public async Task Executable_setting_runs_the_binary_with_the_same_flags_password_health_check_and_connection_string()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg, $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}");
        var dragonfly = app.Resource<DragonflyExecutableResource>("dragonfly");
        Assert.Empty(app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<DragonflyResource>());
        dragonfly.AllocateEndpoint("tcp", 16380, targetPort: 40123);

        var args = await app.ArgumentsAsync(dragonfly);
        var environment = await app.EnvironmentAsync(dragonfly);

        Assert.Equal(AppHostModel.DragonflyStandIn, dragonfly.Command);
        Assert.Equal(
            ["--logtostderr", "--port=40123", "--bind=127.0.0.1",
             "--proactor_threads=2", "--maxmemory=536870912", "--version_check=false", "--dbfilename="],
            args);
        Assert.Equal(Password, environment["DFLY_requirepass"]);
        Assert.Equal(["DFLY_requirepass"], environment.Keys.Where(k => k.StartsWith("DFLY_", StringComparison.Ordinal)));
        Assert.Equal("dragonfly_check", dragonfly.Annotations.OfType<HealthCheckAnnotation>().Single().Key);
        Assert.Equal($"localhost:16380,password={Password}", await dragonfly.ConnectionStringExpression.ResolveAsync());
        Assert.Equal($"redis://:{Password}@localhost:16380/0", await dragonfly.AsCeleryBroker().Url(0).ResolveAsync());
        Assert.Equal($"redis://:{Password}@localhost:16380/1", await dragonfly.AsCeleryBroker().Url(1).ResolveAsync());
    }

    [Fact]
    public async Task Verifier_gets_the_Dragonfly_connection_string_and_waits_for_it()
    {
        await using var app = await AppHostModel.BuildAsync(PasswordArg);
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");
        dragonfly.AllocateEndpoint("tcp", 16379, targetPort: 6379);
        app.AllocateAllEndpoints();
        var verifier = app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier");

        var environment = await app.EnvironmentAsync(verifier);

        Assert.Equal($"localhost:16379,password={Password}", environment["ConnectionStrings__broker"]);
        Assert.Contains(verifier.Annotations.OfType<WaitAnnotation>(), w => w.Resource == dragonfly && w.WaitType == WaitType.WaitUntilHealthy);
    }
}
