namespace AirflowAspire.AppHost.Redis;

/// <summary>
/// The Redis container image this project runs (Aspire.Hosting.Redis's own image, <c>docker.io/library/redis</c>): the one
/// place its tag is pinned, so an Aspire update does not change the broker under a deployment.
/// </summary>
public static class RedisContainerImage
{
    /// <summary>The registry Aspire.Hosting.Redis pulls from.</summary>
    public const string Registry = "docker.io";

    /// <summary>The image, Redis's official one.</summary>
    public const string Image = "library/redis";

    /// <summary>The pinned tag: the line Aspire.Hosting.Redis 13.6.5 itself defaults to.</summary>
    public const string Tag = "8.6";
}
