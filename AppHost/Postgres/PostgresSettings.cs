using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Postgres;

/// <summary>
/// The <c>Postgres</c> section of the AppHost's configuration, read when <c>Airflow:Database=postgres</c>: where the
/// PostgreSQL container's image comes from (<c>dotnet run --project AppHost -- --Airflow:Database=postgres
/// --Postgres:Registry=mirror.example.com</c>).
/// </summary>
public sealed class PostgresSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Postgres";

    /// <summary>The registry Aspire.Hosting.PostgreSQL pulls from.</summary>
    public const string DefaultRegistry = "docker.io";

    /// <summary>PostgreSQL's official image.</summary>
    public const string DefaultImage = "library/postgres";

    /// <summary>The pinned tag: the one Aspire.Hosting.PostgreSQL 13.6.5 itself defaults to, so an Aspire update does not change the database under a deployment.</summary>
    public const string DefaultTag = "18.3";

    /// <summary>The container's registry: a mirror or a private registry that serves PostgreSQL's image. Empty: the engine's default.</summary>
    public string? Registry { get; init; } = DefaultRegistry;

    /// <summary>The image's path in the registry.</summary>
    public string Image { get; init; } = DefaultImage;

    /// <summary>The container's tag.</summary>
    public string ImageTag { get; init; } = DefaultTag;

    /// <summary>The container image these settings name.</summary>
    public ContainerImageSettings ContainerImage => new(SectionName, Registry, Image, ImageTag);

    /// <summary>Reads and checks the section; a bad value stops the AppHost with the setting's name and the fix.</summary>
    public static PostgresSettings From(IConfiguration configuration)
    {
        var settings = SettingsSection.Bind<PostgresSettings>(configuration, SectionName);
        settings.ContainerImage.Validate();
        return settings;
    }
}
