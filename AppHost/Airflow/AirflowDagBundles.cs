using System.Text.Json;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The DAG bundles of a deployment whose DAGs folder is the user's own: Airflow's default bundle (<c>dags-folder</c>, the
/// <c>[core] dags_folder</c>) and one more, <see cref="VerificationBundle"/>, for the Verifier's own DAG in the repository's
/// <c>airflow/dags</c>, so that <c>hello_dragonfly</c> still proves the stack without a file copied into the user's folder.
/// <c>[dag_processor] dag_bundle_config_list</c> (Airflow 3.0.0+, config.yml): every process reads it, the dag-processor to
/// parse each bundle, the workers to find a task's DAG file by its bundle's name.
/// </summary>
public static class AirflowDagBundles
{
    /// <summary>The bundle of the Verifier's DAG.</summary>
    public const string VerificationBundle = "airflowaspire";

    /// <summary>Airflow's default bundle, the <c>[core] dags_folder</c> (config.yml's default of <c>dag_bundle_config_list</c>).</summary>
    public const string DagsFolderBundle = "dags-folder";

    /// <summary>The class of a bundle that is a folder of this machine (<c>airflow/dag_processing/bundles/local.py</c>).</summary>
    public const string LocalDagBundle = "airflow.dag_processing.bundles.local.LocalDagBundle";

    /// <summary>The value of <c>[dag_processor] dag_bundle_config_list</c>: Airflow's default bundle, then the Verifier's.</summary>
    public static string ConfigList(AirflowPaths paths) => JsonSerializer.Serialize(new object[]
    {
        new { name = DagsFolderBundle, classpath = LocalDagBundle, kwargs = new { } },
        new { name = VerificationBundle, classpath = LocalDagBundle, kwargs = new { path = paths.VerificationDagsFolder } },
    });
}
