namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A bare <see cref="DistributedApplication.CreateBuilder(DistributedApplicationOptions)"/> for one integration at a time,
/// as Aspire's own integration tests use (<c>AddRedisTests</c>): no AppHost entry point, nothing started, disposed with
/// <c>using</c> once built. Paths start where the AppHost's do, so the repository's DAGs folder and installer script are found.
/// </summary>
public static class BareBuilder
{
    /// <summary>A builder with the given command-line arguments (e.g. <c>--Parameters:name=value</c>).</summary>
    public static IDistributedApplicationBuilder Create(params string[] args)
        => DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            // The dashboard's OTLP/HTTP endpoint, which every Airflow process's telemetry settings are resolved from.
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false", "--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19999"],
            ProjectDirectory = AppHostModel.AppHostDirectory,
            DisableDashboard = true,
        });
}
