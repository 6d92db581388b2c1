using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;
using AirflowAspire.AppHost.StartFailures;

namespace AirflowAspire.AppHost.Deployments;

/// <summary>Celery's broker and result backend as the settings choose it: Dragonfly (the default) or Redis.</summary>
internal static class Brokers
{
    /// <summary>Dragonfly, or Redis with <c>Airflow:Broker=redis</c>.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> Add(IDistributedApplicationBuilder builder, string top, AirflowSettings airflow)
        => airflow.UsesRedis
            ? AddRedis(builder, RedisSettings.From(builder.Configuration, top))
            : AddDragonfly(builder, DragonflySettings.From(builder.Configuration, top), airflow);

    /// <summary>A container, or a local binary (<c>Dragonfly:Executable</c>).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDragonfly(IDistributedApplicationBuilder builder, DragonflySettings settings,
        AirflowSettings airflow)
    {
        IResourceBuilder<IDragonflyResource> dragonfly = settings.Executable is { Length: > 0 } executable
            ? builder.AddDragonflyExecutable("dragonfly", executable, settings.Port)
            : AddDragonflyContainer(builder, settings);
        dragonfly.WithThreads(settings.Threads, settings.MaxMemoryMiB);
        if (airflow.AcceptsRemoteWorkers)
        {
            dragonfly.WithListenAddress(airflow.ListenAddress!, settings.Port ?? DragonflyBuilderExtensions.ContainerPort);
        }
        return settings.Persistent ? dragonfly.WithPersistence() : dragonfly;
    }

    /// <summary>The image from the settings (a mirror, a private registry), and a raised locked-memory limit only when asked for.</summary>
    private static IResourceBuilder<DragonflyResource> AddDragonflyContainer(IDistributedApplicationBuilder builder, DragonflySettings settings)
    {
        var dragonfly = settings.ContainerImage.ApplyTo(builder.AddDragonfly("dragonfly", settings.Port));
        return settings.MemlockLimitBytes is { } memlock ? dragonfly.WithMemlockLimit(memlock) : dragonfly;
    }

    /// <summary>Aspire.Hosting.Redis's container (plain TCP on loopback, as Dragonfly), or a local redis-server (<c>Redis:Executable</c>).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedis(IDistributedApplicationBuilder builder, RedisSettings settings)
#pragma warning disable ASPIRECERTIFICATES001 // Experimental in 13.6.
        => settings.Executable is { Length: > 0 } executable
            ? builder.AddRedisExecutable("redis", executable)
            : settings.ContainerImage.ApplyTo(builder.AddRedis("redis")).WithoutHttpsCertificate().ExplainsStartFailures(StartFailureSubject.Redis);
#pragma warning restore ASPIRECERTIFICATES001
}
