using AirflowAspire.AppHost.Python;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// Where an Airflow deployment keeps its files: by default everything made at run time under one
/// git-ignored <c>.airflow/</c> folder at the repository's top, the DAGs in <c>airflow/dags/</c>
/// (<c>Airflow:Home</c> and <c>Airflow:DagsFolder</c> move them; relative paths start at the repository's top,
/// see <see cref="RepositoryPaths"/>).
/// </summary>
/// <param name="Root">The repository's top folder.</param>
/// <param name="Settings">The Airflow settings (the environment's name carries the versions).</param>
public sealed record AirflowPaths(string Root, AirflowSettings Settings)
{
    /// <summary><c>AIRFLOW_HOME</c>: airflow.cfg, logs, the SQLite database, the passwords file.</summary>
    public string Home => Settings.Home is { Length: > 0 } home ? home : Path.Combine(Root, ".airflow", "home");

    /// <summary>The DAGs folder every process reads, the worker included.</summary>
    public string DagsFolder => Settings.DagsFolder is { Length: > 0 } dags ? dags : Path.Combine(Root, "airflow", "dags");

    /// <summary>The Verifier's JSON report, beside <c>AIRFLOW_HOME</c>.</summary>
    public string VerifierReport => Path.Combine(Path.GetDirectoryName(Home)!, "verifier-report.json");

    /// <summary>The broker benchmark's JSON report (its chart beside it, <c>.svg</c>), beside <c>AIRFLOW_HOME</c>.</summary>
    public string BrokerBenchmarkReport => Path.Combine(Path.GetDirectoryName(Home)!, "broker-benchmark.json");

    /// <summary>The join file workers on other hosts start from (owner-only), beside <c>AIRFLOW_HOME</c>.</summary>
    public string JoinFile => Path.Combine(Path.GetDirectoryName(Home)!, "join.json");

    /// <summary>The SQLite metadata database (an absolute path, as Airflow requires).</summary>
    public string SqliteDatabase => Path.Combine(Home, "airflow.db");

    /// <summary>The simple auth manager's passwords file.</summary>
    public string PasswordsFile => Path.Combine(Home, "simple_auth_manager_passwords.json.generated");

    /// <summary>The virtual environment: the one configured, or one per Airflow and Python version.</summary>
    public VirtualEnvironment VirtualEnvironment => new(
        Settings.VirtualEnvironment is { Length: > 0 } existing
            ? existing
            : Path.Combine(Root, ".airflow", $"venv-airflow{Settings.Version}-py{Settings.PythonVersion}"));
}
