namespace AirflowAspire.AppHost.Dragonfly;

/// <summary>
/// The Dragonfly container image this project runs: the one place its version is pinned.
/// </summary>
public static class DragonflyContainerImageTags
{
    /// <summary>The registry that Dragonfly's documentation names.</summary>
    public const string Registry = "docker.dragonflydb.io";

    /// <summary>The image.</summary>
    public const string Image = "dragonflydb/dragonfly";

    /// <summary>The pinned tag (v1.40.1, released 2026-08-06).</summary>
    public const string Tag = "v1.40.1";

    /// <summary>
    /// The oldest version accepted: v1.38.2 fixed PUBLISH messages lost under the
    /// subscribe/unsubscribe churn that Celery's result waiting and <c>inspect ping</c> cause
    /// (dragonflydb/dragonfly#7056).
    /// </summary>
    public static readonly Version MinimumVersion = new(1, 38, 2);
}
