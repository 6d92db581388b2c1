using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost;

/// <summary>
/// Publishing (<c>--operation publish --publisher manifest</c>) writes a manifest that a deployment tool runs on a cluster:
/// the settings that only work on this machine are refused there before anything is written, each naming the setting and the fix.
/// </summary>
public static class ClusterPublishing
{
    /// <summary>Throws <see cref="InvalidSettingException"/> naming the first setting a cluster cannot run with.</summary>
    /// <param name="configuration">The AppHost's configuration.</param>
    /// <param name="airflow">The Airflow settings, already read and checked.</param>
    public static void ThrowIfLocalOnly(IConfiguration configuration, AirflowSettings airflow)
    {
        if (configuration[$"{BenchmarkSettings.SectionName}:{nameof(BenchmarkSettings.Brokers)}"] is { Length: > 0 } brokers)
        {
            throw new InvalidSettingException(BenchmarkSettings.SectionName, nameof(BenchmarkSettings.Brokers), brokers,
                "unset when publishing: the broker benchmark measures this machine and is not a deployment; publish without it");
        }
        if (airflow.RunsWorkersOnly || airflow.AcceptsRemoteWorkers)
        {
            var (key, value) = airflow.RunsWorkersOnly ? (nameof(AirflowSettings.Role), airflow.Role) : (nameof(AirflowSettings.ListenAddress), airflow.ListenAddress!);
            throw new InvalidSettingException(AirflowSettings.SectionName, key, value,
                "unset when publishing: it joins machines of your own to a deployment, and on a cluster every worker is a container of " +
                "the manifest (scale airflow-worker-N with Airflow:Workers, or with the deployment tool)");
        }
        if (!airflow.UsesPostgres)
        {
            throw new InvalidSettingException(AirflowSettings.SectionName, nameof(AirflowSettings.Database), airflow.Database,
                "postgres when publishing: SQLite is a file on one machine, which Airflow's processes, each a container on a cluster, " +
                "cannot share; publish with --Airflow:Database=postgres");
        }
        // The user's project files are of this machine too: a published deployment runs Airflow's image, which has none of
        // them. Refused rather than left out, so that a manifest never quietly lacks the user's packages or connections.
        foreach (var (key, value, fix) in new[]
        {
            (nameof(AirflowSettings.Requirements), airflow.Requirements, "install them into your Airflow image (FROM apache/airflow, pip install -r with Airflow's constraints)"),
            (nameof(AirflowSettings.PluginsFolder), airflow.PluginsFolder, "copy the folder into your Airflow image's /opt/airflow/plugins"),
            (nameof(AirflowSettings.Connections), airflow.Connections, "keep them in a secrets backend of the cluster (or AIRFLOW_CONN_* secrets)"),
            (nameof(AirflowSettings.Variables), airflow.Variables, "keep them in a secrets backend of the cluster (or AIRFLOW_VAR_* secrets)"),
            (nameof(AirflowSettings.Pools), airflow.Pools, "create them once on the cluster (airflow pools import, or the REST API)"),
        })
        {
            if (value is { Length: > 0 })
            {
                throw new InvalidSettingException(AirflowSettings.SectionName, key, value,
                    $"unset when publishing: it names a file of this machine, which a cluster's containers do not have; {fix}");
            }
        }
        ThrowIfExecutable(configuration, DragonflySettings.SectionName, "Dragonfly");
        ThrowIfExecutable(configuration, RedisSettings.SectionName, "Redis");
    }

    // Dragonfly:Executable, Redis:Executable: a binary of this machine, which no cluster has; the container is what publishes.
    private static void ThrowIfExecutable(IConfiguration configuration, string section, string server)
    {
        if (configuration[$"{section}:Executable"] is { Length: > 0 } executable)
        {
            throw new InvalidSettingException(section, "Executable", executable,
                $"unset when publishing: a local binary runs on this machine only, and a cluster runs the {server} container; " +
                $"clear it with --{section}:Executable= (or remove it from your user secrets or environment)");
        }
    }
}
