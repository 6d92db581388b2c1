using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// The <c>Dragonfly</c> section of the AppHost's configuration (appsettings.json, then the
/// command line: <c>dotnet run --project AppHost -- --Dragonfly:Threads=4</c>).
/// </summary>
public sealed partial class DragonflySettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Dragonfly";

    /// <summary>Dragonfly refuses to start with less memory than this per proactor thread.</summary>
    public const int MinimumMaxMemoryMiBPerThread = 256;

    /// <summary>
    /// Path of a local <c>dragonfly</c> binary. When set, Dragonfly runs as a local process
    /// instead of a container, for machines without Docker or Podman.
    /// </summary>
    public string? Executable { get; set; }

    /// <summary>Container image tag; defaults to the pinned <see cref="DragonflyContainerImageTags.Tag"/>.</summary>
    public string ImageTag { get; init; } = DragonflyContainerImageTags.Tag;

    /// <summary>Dragonfly's <c>--proactor_threads</c>: its I/O threads.</summary>
    public int Threads { get; init; } = DragonflyServerOptionsAnnotation.DefaultProactorThreads;

    /// <summary>Dragonfly's <c>--maxmemory</c> in MiB; defaults to the minimum the thread count allows.</summary>
    public int? MaxMemoryMiB { get; init; }

    /// <summary>The port clients connect to; unset: a free one, or 6379 when workers on other hosts join (Airflow:ListenAddress).</summary>
    public int? Port { get; init; }

    /// <summary>Keep data across restarts: snapshots on, in a data volume (container) or a data folder (binary).</summary>
    public bool Persistent { get; init; }

    /// <summary>The memory limit in MiB that goes with the thread count.</summary>
    public int EffectiveMaxMemoryMiB => MaxMemoryMiB ?? Threads * MinimumMaxMemoryMiBPerThread;

    /// <summary>Reads and checks the section; a bad value stops the AppHost with the setting's name and the fix.</summary>
    /// <param name="configuration">The AppHost's configuration.</param>
    /// <param name="repositoryTop">Where a relative <c>Executable</c> starts (see <see cref="RepositoryPaths"/>).</param>
    public static DragonflySettings From(IConfiguration configuration, string repositoryTop)
    {
        var settings = configuration.GetSection(SectionName).Get<DragonflySettings>() ?? new DragonflySettings();
        settings.Executable = RepositoryPaths.Resolve(settings.Executable, repositoryTop);
        settings.Validate();
        return settings;
    }

    /// <summary>Throws <see cref="InvalidSettingException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Threads is < 1 or > 1024)
        {
            throw Invalid("Threads", Threads, "a whole number of I/O threads from 1 to 1024, e.g. 2");
        }
        if (EffectiveMaxMemoryMiB < Threads * MinimumMaxMemoryMiBPerThread)
        {
            throw Invalid("MaxMemoryMiB", EffectiveMaxMemoryMiB,
                $"at least {MinimumMaxMemoryMiBPerThread} MiB per thread ({Threads * MinimumMaxMemoryMiBPerThread} for {Threads} threads): " +
                "Dragonfly exits at start below that. Raise it, or lower Dragonfly:Threads");
        }
        if (!IsSupportedTag(ImageTag))
        {
            throw Invalid("ImageTag", ImageTag,
                $"a release tag vX.Y.Z of {DragonflyContainerImageTags.MinimumVersion} or newer " +
                $"(older releases lose Celery's pub/sub messages, dragonflydb/dragonfly#7056); the pinned one is {DragonflyContainerImageTags.Tag}");
        }
        if (Port is < 1 or > 65535)
        {
            throw Invalid("Port", Port, "a TCP port from 1 to 65535, or unset");
        }
        if (Executable is { Length: > 0 } path && !File.Exists(path))
        {
            throw Invalid("Executable", path,
                "the path of an existing dragonfly binary, e.g. --Dragonfly:Executable=/usr/local/bin/dragonfly; " +
                "or leave it unset to run Dragonfly as a container");
        }
    }

    private static bool IsSupportedTag(string tag)
    {
        var match = ReleaseTag().Match(tag);
        return match.Success
            && new Version(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value))
                >= DragonflyContainerImageTags.MinimumVersion;
    }

    private static InvalidSettingException Invalid(string key, object value, string expected) => new(SectionName, key, value, expected);

    [GeneratedRegex(@"^v(\d+)\.(\d+)\.(\d+)$")]
    private static partial Regex ReleaseTag();
}
