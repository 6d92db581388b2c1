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

    /// <summary>The registry the image is pulled from; a mirror or a private registry that serves Dragonfly's image. Empty: the engine's default.</summary>
    public string? Registry { get; init; } = DragonflyContainerImageTags.Registry;

    /// <summary>The image's path in the registry; defaults to Dragonfly's own, <see cref="DragonflyContainerImageTags.Image"/>.</summary>
    public string Image { get; init; } = DragonflyContainerImageTags.Image;

    /// <summary>Container image tag; defaults to the pinned <see cref="DragonflyContainerImageTags.Tag"/>.</summary>
    public string ImageTag { get; init; } = DragonflyContainerImageTags.Tag;

    /// <summary>
    /// The container's locked-memory limit (RLIMIT_MEMLOCK, <c>--ulimit memlock=</c>): <c>unlimited</c>, or a size in bytes,
    /// KiB, MiB or GiB (<c>64MiB</c>). Unset: the engine's default, which Dragonfly runs with on kernels from 5.12 on, where
    /// io_uring's memory is accounted through memcg instead of this limit (dragonflydb/dragonfly#57). Engines that may not
    /// raise it (rootless Podman, many VMs) refuse to start a container that asks for more than they have.
    /// </summary>
    public string? MemlockLimit { get; init; }

    /// <summary><see cref="MemlockLimit"/> as the value of <c>--ulimit memlock=</c>: bytes, or -1 for unlimited; null when unset.</summary>
    public long? MemlockLimitBytes => ParseMemlockLimit(MemlockLimit);

    /// <summary>The container image these settings name.</summary>
    public ContainerImageSettings ContainerImage => new(SectionName, Registry, Image, ImageTag);

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
        var settings = SettingsSection.Bind<DragonflySettings>(configuration, SectionName);
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
        ContainerImage.Validate();
        if (MemlockLimit is { Length: > 0 } memlock && ParseMemlockLimit(memlock) is null)
        {
            throw Invalid("MemlockLimit", memlock,
                "unlimited, or a size such as 65536, 64KiB, 512MiB or 1GiB; or leave it unset, as Dragonfly needs no raised limit " +
                "on kernels from 5.12 on (dragonflydb/dragonfly#57)");
        }
        if (MemlockLimit is { Length: > 0 } && Executable is { Length: > 0 })
        {
            throw Invalid("MemlockLimit", MemlockLimit,
                "it unset with Dragonfly:Executable: it is the container's limit; a local binary has the limit of the shell that " +
                "starts the AppHost (raise it there with ulimit -l)");
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

    private static long? ParseMemlockLimit(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (value.Trim().Equals("unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return -1;
        }
        var match = MemlockSize().Match(value.Trim());
        if (!match.Success || !long.TryParse(match.Groups[1].Value, out var number) || number < 1)
        {
            return null;
        }
        var unit = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" => 1L,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            _ => 1L << 30,
        };
        return number <= long.MaxValue / unit ? number * unit : null;
    }

    [GeneratedRegex(@"^(\d+)\s*(KiB|MiB|GiB)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MemlockSize();

    private static InvalidSettingException Invalid(string key, object value, string expected) => new(SectionName, key, value, expected);

    [GeneratedRegex(@"^v(\d+)\.(\d+)\.(\d+)$")]
    private static partial Regex ReleaseTag();
}
