using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The configuration every Airflow process of a deployment gets, as <c>AIRFLOW__SECTION__KEY</c>
/// environment variables (declared once here, as <c>x-airflow-common</c> in Airflow's docker-compose).
/// Every key is checked against Airflow's <c>config.yml</c> and the Celery provider's <c>provider.yaml</c> by the tests.
/// </summary>
public static class AirflowEnvironment
{
    /// <summary>Celery's broker database on Dragonfly.</summary>
    public const int BrokerDatabase = 0;

    /// <summary>Celery's result backend database on Dragonfly.</summary>
    public const int ResultBackendDatabase = 1;

    /// <summary>Adds the shared variables to a process's environment.</summary>
    public static void Apply(AirflowResource airflow, EnvironmentCallbackContext context)
    {
        var broker = airflow.Broker
            ?? throw new InvalidOperationException($"Airflow '{airflow.Name}' has no Celery broker: call WithCeleryBroker(dragonfly).");
        var api = airflow.ApiServer
            ?? throw new InvalidOperationException($"Airflow '{airflow.Name}' has no api-server: call AddApiServer(...).");
        var env = context.EnvironmentVariables;

        env["AIRFLOW_HOME"] = airflow.Paths.Home;
        env["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor";
        env["AIRFLOW__CORE__DAGS_FOLDER"] = airflow.Paths.DagsFolder;
        env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False";
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow.MetadataDatabase!;

        // Celery: broker on db 0, results on db 1, both with Dragonfly's password.
        env["AIRFLOW__CELERY__BROKER_URL"] = broker.Endpoint.CeleryUrl(BrokerDatabase);
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = broker.Endpoint.CeleryUrl(ResultBackendDatabase);

        // Without it workers call http://localhost:8080/execution/ (apache/airflow#49931).
        env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = ReferenceExpression.Create($"{api.GetEndpoint("http")}/execution/");

        // One value for every process: otherwise each generates its own into airflow.cfg and task
        // tokens fail with "Signature verification failed" (apache/airflow#62026, #59373).
        env["AIRFLOW__API_AUTH__JWT_SECRET"] = airflow.Secrets.JwtSecret;
        env["AIRFLOW__API__SECRET_KEY"] = airflow.Secrets.SecretKey;
        env["AIRFLOW__CORE__FERNET_KEY"] = airflow.Secrets.FernetKey;

        // The simple auth manager's admin, whose password the api-server reads from this file.
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = $"{Aspire.Hosting.AirflowBuilderExtensions.AdminUser}:admin";
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = airflow.Paths.PasswordsFile;

        // New DAG files appear within seconds instead of the default 300 s (apache/airflow#49891).
        env["AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"] = "5";

        ApplyOpenTelemetry(context);
    }

    /// <summary>
    /// Airflow 3.0.3 exports OTLP over HTTP to <c>http://otel_host:otel_port/v1/…</c> and ignores
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, so the dashboard's OTLP/HTTP endpoint is split into host and port.
    /// </summary>
    private static void ApplyOpenTelemetry(EnvironmentCallbackContext context)
    {
        var configuration = context.ExecutionContext.Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))
            as Microsoft.Extensions.Configuration.IConfiguration;
        if (configuration?["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] is not { Length: > 0 } url
            || !Uri.TryCreate(url, UriKind.Absolute, out var otlp))
        {
            return; // No OTLP/HTTP endpoint on the dashboard: nothing to send to.
        }
        var service = context.Resource.Name;
        var secure = otlp.Scheme == Uri.UriSchemeHttps ? "True" : "False";
        foreach (var section in new[] { "METRICS", "TRACES" })
        {
            context.EnvironmentVariables[$"AIRFLOW__{section}__OTEL_ON"] = "True";
            context.EnvironmentVariables[$"AIRFLOW__{section}__OTEL_HOST"] = otlp.Host;
            context.EnvironmentVariables[$"AIRFLOW__{section}__OTEL_PORT"] = otlp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.EnvironmentVariables[$"AIRFLOW__{section}__OTEL_SSL_ACTIVE"] = secure;
            context.EnvironmentVariables[$"AIRFLOW__{section}__OTEL_SERVICE"] = service;
        }
    }
}
