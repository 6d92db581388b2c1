using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Redis;

/// <summary>
/// The <c>Redis</c> section of the AppHost's configuration, read when <c>Airflow:Broker=redis</c>
/// (<c>dotnet run --project AppHost -- --Airflow:Broker=redis --Redis:Executable=/usr/bin/redis-server</c>).
/// </summary>
public sealed class RedisSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Redis";

    /// <summary>Path of a local <c>redis-server</c>; unset: Redis runs as a container (Aspire.Hosting.Redis).</summary>
    public string? Executable { get; set; }

    /// <summary>The container's registry: a mirror or a private registry that serves Redis's image. Empty: the engine's default.</summary>
    public string? Registry { get; init; } = RedisContainerImage.Registry;

    /// <summary>The image's path in the registry; Redis's official image by default.</summary>
    public string Image { get; init; } = RedisContainerImage.Image;

    /// <summary>The container's tag; the pinned <see cref="RedisContainerImage.Tag"/> by default.</summary>
    public string ImageTag { get; init; } = RedisContainerImage.Tag;

    /// <summary>The container image these settings name.</summary>
    public ContainerImageSettings ContainerImage => new(SectionName, Registry, Image, ImageTag);

    /// <summary>Reads and checks the section; a bad value stops the AppHost with the setting's name and the fix.</summary>
    public static RedisSettings From(IConfiguration configuration, string repositoryTop)
    {
        var settings = SettingsSection.Bind<RedisSettings>(configuration, SectionName);
        settings.Executable = RepositoryPaths.Resolve(settings.Executable, repositoryTop);
        if (settings.Executable is { Length: > 0 } path && !File.Exists(path))
        {
            throw new InvalidSettingException(SectionName, "Executable", path,
                "the path of an existing redis-server binary, e.g. --Redis:Executable=/usr/bin/redis-server; or leave it unset to run Redis as a container");
        }
        settings.ContainerImage.Validate();
        return settings;
    }
}
