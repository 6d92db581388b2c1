using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow.Hosts;

/// <summary>
/// The configuration of a Celery worker on a workers-only host: what it needs of the deployment (broker, Task Execution
/// API, log-server port, secret key: the join file), this host's paths, and the address the main host reaches it at.
/// </summary>
public static class JoinedEnvironment
{
    /// <summary>Adds the variables to a worker's environment.</summary>
    public static void Apply(EnvironmentCallbackContext context, JoinFile join, AirflowPaths paths, ParameterResource brokerPassword,
        ParameterResource secretKey, string advertisedAddress, string hostnameModuleFolder)
    {
        var env = context.EnvironmentVariables;
        env["AIRFLOW_HOME"] = paths.Home;
        env["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor";
        // The worker parses the DAG file itself: this host needs its own copy (a missing one fails the task, naming the file).
        env["AIRFLOW__CORE__DAGS_FOLDER"] = paths.DagsFolder;
        env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False";
        // As on the main host: the plugins folder, and the Verifier's DAG from a bundle of its own beside a user's DAGs folder.
        AirflowEnvironment.ApplyProjectFolders(env, paths);

        // The 3.0.3-era Celery provider (3.12.1) checks the metadata database's migrations when a worker starts (skipped on
        // Airflow 3 from provider 3.12.4, apache/airflow#55878). A worker here reaches no database: check_migrations off, and
        // a file of this host for the one lookup that remains (synchronize_log_template, which skips an empty database).
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = $"sqlite:///{paths.SqliteDatabase}";
        env["AIRFLOW__DATABASE__CHECK_MIGRATIONS"] = "False";

        var broker = ReferenceExpression.Create($"{join.BrokerHost}:{join.BrokerPort.ToString(CultureInfo.InvariantCulture)}");
        env["AIRFLOW__CELERY__BROKER_URL"] = CeleryBroker.Url(brokerPassword, broker, CeleryBroker.BrokerDatabase);
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = CeleryBroker.Url(brokerPassword, broker, CeleryBroker.ResultBackendDatabase);
        env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = join.ExecutionApiUrl;

        // The api-server signs log-fetch tokens with it; this worker's log server checks them.
        env["AIRFLOW__API__SECRET_KEY"] = secretKey;
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = join.WorkerLogServerPort.ToString(CultureInfo.InvariantCulture);
        // As on the main host: the Celery result follows the task within a second (AirflowEnvironment.WorkerHeartbeatSeconds).
        env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = AirflowEnvironment.WorkerHeartbeatSeconds.ToString(CultureInfo.InvariantCulture);

        // The task instance's hostname is where the api-server fetches a running task's log from: this host's address as
        // the main host reaches it, not a name it may not resolve ([core] hostname_callable).
        env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] = "airflow_aspire_hostname.advertised_address";
        env["AIRFLOW_ASPIRE_ADVERTISED_ADDRESS"] = advertisedAddress;
        env["PYTHONPATH"] = hostnameModuleFolder;
    }
}
