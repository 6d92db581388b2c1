using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// The server flags a Dragonfly resource starts with, read when its process starts,
/// so later <c>WithXxx</c> calls replace earlier ones.
/// </summary>
/// <param name="ProactorThreads">Dragonfly's I/O threads (<c>--proactor_threads</c>).</param>
/// <param name="MaxMemoryMiB">The memory limit (<c>--maxmemory</c>), at least 256 MiB per thread.</param>
/// <param name="SnapshotDirectory">Where snapshots go; null turns snapshots off (<c>--dbfilename=</c>).</param>
public sealed record DragonflyServerOptionsAnnotation(int ProactorThreads, int MaxMemoryMiB, string? SnapshotDirectory)
    : IResourceAnnotation
{
    /// <summary>The I/O threads a Dragonfly resource starts with until <c>WithThreads</c> says otherwise.</summary>
    public const int DefaultProactorThreads = 2;

    /// <summary>
    /// The options a Dragonfly resource starts with: <see cref="DefaultProactorThreads"/> threads, the least memory they
    /// allow, snapshots off.
    /// </summary>
    public static DragonflyServerOptionsAnnotation Default { get; } =
        new(DefaultProactorThreads, DefaultProactorThreads * DragonflySettings.MinimumMaxMemoryMiBPerThread, SnapshotDirectory: null);

    /// <summary>How often a snapshot is taken while snapshots are on (besides the one at shutdown).</summary>
    public const string SnapshotCron = "*/5 * * * *";

    /// <summary>The flags, in the <c>--name=value</c> form Dragonfly's flag parser takes.</summary>
    public IEnumerable<string> ToArguments()
    {
        yield return $"--proactor_threads={ProactorThreads}";
        yield return $"--maxmemory={(long)MaxMemoryMiB * 1024 * 1024}";
        // Dragonfly asks its vendor's server for new releases at start unless told not to.
        yield return "--version_check=false";
        if (SnapshotDirectory is null)
        {
            // A non-empty dbfilename snapshots at shutdown and reloads at start: old Celery
            // queues would come back. Off unless the user asks to keep data.
            yield return "--dbfilename=";
        }
        else
        {
            yield return $"--dir={SnapshotDirectory}";
            yield return "--dbfilename=dump";
            yield return $"--snapshot_cron={SnapshotCron}";
        }
    }
}
