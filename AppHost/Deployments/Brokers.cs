using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;

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
            : builder.AddDragonfly("dragonfly", settings.Port).WithImageTag(settings.ImageTag);
        dragonfly.WithThreads(settings.Threads, settings.MaxMemoryMiB);
        if (airflow.AcceptsRemoteWorkers)
        {
            dragonfly.WithListenAddress(airflow.ListenAddress!, settings.Port ?? DragonflyBuilderExtensions.ContainerPort);
        }
        return settings.Persistent ? dragonfly.WithPersistence() : dragonfly;
    }

    /// <summary>Aspire.Hosting.Redis's container (plain TCP on loopback, as Dragonfly), or a local redis-server (<c>Redis:Executable</c>).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedis(IDistributedApplicationBuilder builder, RedisSettings settings)
#pragma warning disable ASPIRECERTIFICATES001 // Experimental in 13.6.
        => settings.Executable is { Length: > 0 } executable
            ? builder.AddRedisExecutable("redis", executable)
            : builder.AddRedis("redis").WithImageTag(RedisContainerImage.Tag).WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
}
