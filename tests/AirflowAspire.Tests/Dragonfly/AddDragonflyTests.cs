using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>The Dragonfly integration on its own: <c>AddDragonfly</c>, <c>AddDragonflyExecutable</c> and their options.</summary>
public sealed class AddDragonflyTests
{
    private const string Password = "Sup3rSecretPassw0rdXyZ";

    [Fact]
    public async Task A_container_keeps_its_container_builder_and_takes_a_password_parameter()
    {
        var builder = BareBuilder.Create($"--Parameters:pw={Password}");
        var password = builder.AddParameter("pw", secret: true);

        // The container's own builder: Aspire's container options (lifetime, volumes) stay available.
        IResourceBuilder<DragonflyResource> dragonfly = builder.AddDragonfly("cache", port: 16399, password: password)
            .WithLifetime(ContainerLifetime.Persistent);

        using var app = builder.Build();
        Assert.Same(password.Resource, dragonfly.Resource.PasswordParameter);
        Assert.Equal(16399, dragonfly.Resource.Annotations.OfType<EndpointAnnotation>().Single().Port);
        Assert.Equal(Password, (await app.EnvironmentAsync(dragonfly.Resource))["DFLY_requirepass"]);
        Assert.DoesNotContain(builder.Resources.OfType<ParameterResource>(), p => p.Name == "cache-password");
    }

    [Fact]
    public async Task Threads_and_persistence_give_the_same_flags_in_either_order()
    {
        var builder = BareBuilder.Create($"--Parameters:a-password={Password}", $"--Parameters:b-password={Password}");
        var first = builder.AddDragonfly("a").WithThreads(4).WithPersistence("data");
        var second = builder.AddDragonfly("b").WithPersistence("data").WithThreads(4);

        using var app = builder.Build();
        var expected = new[] { "--proactor_threads=4", $"--maxmemory={4L * 256 * 1024 * 1024}", "--version_check=false",
            "--dir=/data", "--dbfilename=dump", "--snapshot_cron=*/5 * * * *" };
        Assert.Equal(expected, await app.ArgumentsAsync(first.Resource));
        Assert.Equal(expected, await app.ArgumentsAsync(second.Resource));
    }

    [Fact]
    public void Too_little_memory_for_the_threads_is_refused_when_the_model_is_built()
    {
        var builder = BareBuilder.Create();
        var dragonfly = builder.AddDragonfly("cache");

        var error = Assert.Throws<InvalidSettingException>(() => dragonfly.WithThreads(4, maxMemoryMiB: 512));
        Assert.Equal("Dragonfly:MaxMemoryMiB", error.Setting);
        Assert.Contains("at least 256 MiB per thread", error.Message);
    }

    [Fact]
    public async Task A_local_binary_listens_on_loopback_with_the_same_flags_and_health_check()
    {
        var builder = BareBuilder.Create($"--Parameters:cache-password={Password}");
        var dragonfly = builder.AddDragonflyExecutable("cache", "/usr/local/bin/dragonfly").WithThreads(1);
        dragonfly.Resource.AllocateEndpoint("tcp", 16380, targetPort: 40123);

        using var app = builder.Build();
        Assert.Equal(["--logtostderr", "--port=40123", "--bind=127.0.0.1", "--proactor_threads=1", "--maxmemory=268435456",
            "--version_check=false", "--dbfilename="], await app.ArgumentsAsync(dragonfly.Resource));
        Assert.Equal("cache_check", dragonfly.Resource.Annotations.OfType<HealthCheckAnnotation>().Single().Key);
        Assert.Equal($"localhost:16380,password={Password}", await dragonfly.Resource.ConnectionStringExpression.ResolveAsync());
    }
}
