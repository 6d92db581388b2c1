using AirflowAspire.AppHost.Python;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// Where an Airflow deployment keeps its files: by default everything made at run time under one
/// git-ignored <c>.airflow/</c> folder at the repository's top, the DAGs in <c>airflow/dags/</c>
/// (<c>Airflow:Home</c> and <c>Airflow:DagsFolder</c> move them; relative paths start at the repository's top,
/// see <see cref="RepositoryPaths"/>). A published deployment's paths are those inside a container of Airflow's
/// official image instead (<see cref="ForContainer"/>): nothing of this machine reaches a manifest.
/// </summary>
/// <param name="Root">The repository's top folder.</param>
/// <param name="Settings">The Airflow settings (the environment's name carries the versions).</param>
public sealed record AirflowPaths(string Root, AirflowSettings Settings)
{
    /// <summary><c>AIRFLOW_HOME</c> in Airflow's official image (its <c>dags/</c> and <c>logs/</c> are under it).</summary>
    public const string ContainerHome = "/opt/airflow";

    /// <summary>True for the paths inside a container of Airflow's official image, false for this machine's.</summary>
    public bool InContainer { get; private init; }

    /// <summary>
    /// The paths inside a container of Airflow's official image, as a published deployment's processes see them:
    /// <c>AIRFLOW_HOME</c> <see cref="ContainerHome"/> with the image's <c>dags/</c> and <c>logs/</c>. <c>Airflow:Home</c>
    /// and <c>Airflow:DagsFolder</c> are folders of this machine, so they do not apply.
    /// </summary>
    /// <param name="root">The repository's top folder.</param>
    /// <param name="settings">The Airflow settings.</param>
    public static AirflowPaths ForContainer(string root, AirflowSettings settings) => new(root, settings) { InContainer = true };

    /// <summary><c>AIRFLOW_HOME</c>: airflow.cfg, logs, the SQLite database, the passwords file.</summary>
    public string Home => InContainer ? ContainerHome : Settings.Home is { Length: > 0 } home ? home : Path.Combine(Root, ".airflow", "home");

    /// <summary>The DAGs folder every process reads, the worker included.</summary>
    public string DagsFolder => InContainer ? Join(ContainerHome, "dags")
        : Settings.DagsFolder is { Length: > 0 } dags ? dags : Path.Combine(Root, "airflow", "dags");

    /// <summary>The folder of the Verifier's own DAG (<c>hello_dragonfly</c>), the repository's <c>airflow/dags</c>.</summary>
    public string VerificationDagsFolder => InContainer ? Join(ContainerHome, "dags") : Path.Combine(Root, "airflow", "dags");

    /// <summary>
    /// True when the DAGs folder is the user's own (<c>Airflow:DagsFolder</c>) and has no file of the Verifier's DAG
    /// (<see cref="VerificationDag.FileName"/>): that DAG then comes from a DAG bundle of its own (<see cref="AirflowDagBundles"/>),
    /// and the user's folder stays untouched. A folder with its own copy (or its own version) of the file is used as it is.
    /// </summary>
    public bool NeedsVerificationBundle => !InContainer
        && !string.Equals(Path.GetFullPath(DagsFolder).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(VerificationDagsFolder).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal)
        && !File.Exists(Path.Combine(DagsFolder, VerificationDag.FileName));

    /// <summary><c>[core] plugins_folder</c>: <c>Airflow:PluginsFolder</c>, or null for Airflow's default (<c>plugins/</c> in <c>AIRFLOW_HOME</c>).</summary>
    public string? PluginsFolder => InContainer ? null : Settings.PluginsFolder is { Length: > 0 } plugins ? plugins : null;

    /// <summary>Airflow's log folder (<c>[logging] base_log_folder</c>, which defaults to <c>logs/</c> in <c>AIRFLOW_HOME</c>).</summary>
    public string LogsFolder => Join(Home, "logs");

    /// <summary>The Verifier's JSON report, beside <c>AIRFLOW_HOME</c>.</summary>
    public string VerifierReport => Path.Combine(Path.GetDirectoryName(Home)!, "verifier-report.json");

    /// <summary>The broker benchmark's JSON report (its chart beside it, <c>.svg</c>), beside <c>AIRFLOW_HOME</c>.</summary>
    public string BrokerBenchmarkReport => Path.Combine(Path.GetDirectoryName(Home)!, "broker-benchmark.json");

    /// <summary>The join file workers on other hosts start from (owner-only), beside <c>AIRFLOW_HOME</c>.</summary>
    public string JoinFile => Path.Combine(Path.GetDirectoryName(Home)!, "join.json");

    /// <summary>The SQLite metadata database (an absolute path, as Airflow requires).</summary>
    public string SqliteDatabase => Join(Home, "airflow.db");

    /// <summary>The simple auth manager's passwords file.</summary>
    public string PasswordsFile => Join(Home, "simple_auth_manager_passwords.json.generated");

    /// <summary>The virtual environment: the one configured, or one per Airflow and Python version.</summary>
    public VirtualEnvironment VirtualEnvironment => new(
        Settings.VirtualEnvironment is { Length: > 0 } existing
            ? existing
            : Path.Combine(Root, ".airflow", $"venv-airflow{Settings.Version}-py{Settings.PythonVersion}"));

    // A container's paths are Linux paths whatever machine writes the manifest.
    private string Join(string folder, string name) => InContainer ? $"{folder}/{name}" : Path.Combine(folder, name);
}
