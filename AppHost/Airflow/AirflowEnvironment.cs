using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The configuration every Airflow process of a deployment gets, as <c>AIRFLOW__SECTION__KEY</c>
/// environment variables (declared once here, as <c>x-airflow-common</c> in Airflow's docker-compose).
/// Every key is checked against Airflow's <c>config.yml</c> and the Celery provider's <c>provider.yaml</c> by the tests.
/// </summary>
public static class AirflowEnvironment
{
    /// <summary>The variable the Verifier's DAG reads its task's queue from.</summary>
    public const string VerificationQueueVariable = "AIRFLOW_ASPIRE_VERIFICATION_QUEUE";

    /// <summary>
    /// <c>[workers] min_heartbeat_interval</c> every process gets: how soon a worker notices that its task ended, so how far
    /// Celery's result trails the task's success.
    /// </summary>
    public const int WorkerHeartbeatSeconds = 1;

    /// <summary>Adds the shared variables to a process's environment.</summary>
    public static void Apply(AirflowResource airflow, EnvironmentCallbackContext context)
    {
        var env = context.EnvironmentVariables;

        env["AIRFLOW_HOME"] = airflow.Paths.Home;
        env["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor";
        env["AIRFLOW__CORE__DAGS_FOLDER"] = airflow.Paths.DagsFolder;
        env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False";
        ApplyProjectFolders(env, airflow.Paths);
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow.MetadataDatabase;

        // Celery: broker on db 0, results on db 1, both with the broker's password.
        env["AIRFLOW__CELERY__BROKER_URL"] = airflow.Broker.BrokerUrl;
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = airflow.Broker.ResultBackendUrl;

        // Without it workers call http://localhost:8080/execution/ (apache/airflow#49931).
        env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = ReferenceExpression.Create($"{airflow.ApiServer.GetEndpoint("http")}/execution/");

        // One value for every process: otherwise each generates its own into airflow.cfg and task
        // tokens fail with "Signature verification failed" (apache/airflow#62026, #59373).
        env["AIRFLOW__API_AUTH__JWT_SECRET"] = airflow.Secrets.JwtSecret;
        env["AIRFLOW__API__SECRET_KEY"] = airflow.Secrets.SecretKey;
        env["AIRFLOW__CORE__FERNET_KEY"] = airflow.Secrets.FernetKey;

        // The simple auth manager's admin, whose password the api-server reads from this file.
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = $"{Aspire.Hosting.AirflowBuilderExtensions.AdminUser}:admin";
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = airflow.Paths.PasswordsFile;

        // The queue the Verifier's DAG (airflow/dags/hello_dragonfly.py) sends its task to: Airflow:VerificationQueue.
        env[VerificationQueueVariable] = airflow.Settings.EffectiveVerificationQueue;

        // The log servers: every worker of this host behind one port (the api-server reads a running task's log from
        // http://{ti.hostname}:{worker_log_server_port}), and the triggerer's. 3.0.3's file_task_handler.py reads the
        // triggerer's port as [logging] triggerer_log_server_port, a key config.yml does not have (the triggerer serves on
        // trigger_log_server_port): both are set, so a deferred task's live log is read where it is served.
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = airflow.WorkerLogServerPort.ToString(invariant);
        env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = airflow.TriggerLogServerPort.ToString(invariant);
        env["AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT"] = airflow.TriggerLogServerPort.ToString(invariant);

        // New DAG files appear within seconds instead of the default 300 s (apache/airflow#49891).
        env["AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"] = "5";

        // A worker's supervisor notices that its task process ended only when its select() times out, after at most
        // [workers] min_heartbeat_interval (default 5 s): until then the task's Celery result is not written and the worker's
        // slot stays taken, though the task instance is already success (task-sdk supervisor.py, _monitor_subprocess, 3.0.0+).
        // 1 s: the result and the slot follow the task within a second, for one heartbeat a second per running task instead
        // of one every 5 s, which one machine's api-server takes in its stride.
        env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = WorkerHeartbeatSeconds.ToString(invariant);
    }

    /// <summary>
    /// The user's plugins folder (<c>[core] plugins_folder</c>, when set) and, beside a user's DAGs folder, the DAG bundles that
    /// bring the Verifier's own DAG (<see cref="AirflowDagBundles"/>): the same on every host, the workers-only one included.
    /// </summary>
    public static void ApplyProjectFolders(IDictionary<string, object> env, AirflowPaths paths)
    {
        if (paths.PluginsFolder is { } plugins)
        {
            env["AIRFLOW__CORE__PLUGINS_FOLDER"] = plugins;
        }
        if (paths.NeedsVerificationBundle)
        {
            // The user's DAGs in Airflow's default bundle, the Verifier's own DAG in a bundle of its own.
            env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = AirflowDagBundles.ConfigList(paths);
        }
    }

    /// <summary>
    /// Airflow's metrics and traces to the dashboard, under the process's resource name. Aspire's own
    /// <c>WithOtlpExporter(OtlpProtocol.HttpProtobuf)</c> (set on every process) gives the dashboard's OTLP/HTTP endpoint,
    /// its API key in <c>OTEL_EXPORTER_OTLP_HEADERS</c> and <c>service.instance.id</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>.
    /// Airflow 3.0 takes the endpoint only as <c>[metrics]</c>/<c>[traces]</c> <c>otel_host</c> and <c>otel_port</c>
    /// (<c>airflow/metrics/otel_logger.py</c>, <c>airflow/traces/otel_tracer.py</c>: it ignores
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), so the endpoint is split into them; it passes no headers of its own
    /// (apache/airflow#44346), so the OpenTelemetry SDK sends the key from the environment. Without the key the dashboard
    /// answers 401 to every export. Each export asks for a connection of its own (<c>Connection: close</c>), so that the
    /// children Airflow forks never share their parent's open connection.
    /// </summary>
    public static async Task ApplyOpenTelemetryAsync(EnvironmentCallbackContext context)
    {
        var env = context.EnvironmentVariables;
        if (!env.TryGetValue("OTEL_EXPORTER_OTLP_ENDPOINT", out var endpoint)
            || !env.TryGetValue("OTEL_EXPORTER_OTLP_PROTOCOL", out var protocol) || protocol as string != "http/protobuf")
        {
            return; // No OTLP/HTTP endpoint on the dashboard (the https profile has OTLP/gRPC only): nothing Airflow 3.0 can send to.
        }
        var url = await ValueAsync(endpoint, context).ConfigureAwait(false);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var otlp))
        {
            return;
        }
        var secure = otlp.Scheme == Uri.UriSchemeHttps ? "True" : "False";
        foreach (var section in new[] { "METRICS", "TRACES" })
        {
            env[$"AIRFLOW__{section}__OTEL_ON"] = "True";
            env[$"AIRFLOW__{section}__OTEL_HOST"] = otlp.Host;
            env[$"AIRFLOW__{section}__OTEL_PORT"] = otlp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            env[$"AIRFLOW__{section}__OTEL_SSL_ACTIVE"] = secure;
            env[$"AIRFLOW__{section}__OTEL_SERVICE"] = context.Resource.Name;
        }
        // Airflow passes its own interval (default 60 s), so OTEL_METRIC_EXPORT_INTERVAL does not reach it: 5 s keeps the
        // dashboard's metrics pages live.
        env["AIRFLOW__METRICS__OTEL_INTERVAL_MILLISECONDS"] = "5000";

        // One connection per export. Airflow's processes fork after their telemetry started (a task process, each DAG-file
        // parse, the triggerer's TriggerRunner: WatchedSubprocess.start; Celery's prefork pool), and the SDK's exporters
        // keep one requests.Session whose pooled keep-alive connection nothing resets at a fork
        // (open-telemetry/opentelemetry-python#4994, the fix #4995 unmerged; 1.27.0, which Airflow 3.0.3 pins, to 1.44).
        // Parent and child then write to and read from one socket, and their requests interleave: the dashboard answers
        // 500 (InvalidProtocolBufferException) and the processes log "Connection broken: InvalidChunkLength". With
        // "Connection: close" the dashboard closes each connection after its answer, so no open connection is ever left
        // in the pool for a child to inherit, whatever the SDK's version or HTTP client. The signal-specific variables
        // replace the common one in the SDK (not merged), so they carry the dashboard's key too; the common one is left
        // to anything else in the process.
        var headers = env.TryGetValue("OTEL_EXPORTER_OTLP_HEADERS", out var common) ? await ValueAsync(common, context).ConfigureAwait(false) : null;
        var perExport = string.IsNullOrEmpty(headers) ? ConnectionClose : $"{headers},{ConnectionClose}";
        env["OTEL_EXPORTER_OTLP_METRICS_HEADERS"] = perExport;
        env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = perExport;
    }

    /// <summary>The OTLP header (as the SDK's <c>OTEL_EXPORTER_OTLP_*_HEADERS</c> write it) that asks for a connection per export.</summary>
    public const string ConnectionClose = "connection=close";

    private static async Task<string?> ValueAsync(object value, EnvironmentCallbackContext context) => value switch
    {
        string text => text,
        IValueProvider provider when context.ExecutionContext.IsRunMode => await provider.GetValueAsync(context.CancellationToken).ConfigureAwait(false),
        _ => null,
    };
}
