using System.Text.Json;
using Aspire.Hosting.Publishing;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// An Airflow process of a published deployment: a container of Airflow's official image at <c>Airflow:Version</c>, written
/// to the manifest as <c>container.v0</c> with the arguments, environment and endpoints the process has in the model (so the
/// <c>AIRFLOW__</c> configuration stays declared once, in <see cref="AirflowEnvironment"/>), the deployment's DAGs and logs
/// volumes, and fixed ports: a container has its own network, so each server takes Airflow's default port.
/// </summary>
/// <remarks>
/// The image's entrypoint runs <c>airflow ARGS</c> when its first argument is an Airflow subcommand (<c>api-server</c>,
/// <c>celery</c>, ...), and <c>python ARGS</c> when it is <c>python</c>; it waits for the metadata database first, and the
/// scheduler and Celery processes also for the broker (Airflow's <c>scripts/docker/entrypoint_prod.sh</c>).
/// </remarks>
public static class AirflowContainer
{
    /// <summary>Airflow's official image; its tag is <c>Airflow:Version</c>, pinned in appsettings.json only.</summary>
    public const string ImageName = "apache/airflow";

    /// <summary>The api-server's port: Airflow's default (<c>airflow api-server --port</c>) and the one the image exposes.</summary>
    public const int ApiServerPort = 8080;

    /// <summary>The scheduler's health server: Airflow's default <c>[scheduler] scheduler_health_check_server_port</c>.</summary>
    public const int SchedulerHealthPort = 8974;

    /// <summary>A Celery worker's log server: Airflow's default <c>[logging] worker_log_server_port</c>.</summary>
    public const int WorkerLogServerPort = 8793;

    /// <summary>The triggerer's log server: Airflow's default <c>[logging] trigger_log_server_port</c>.</summary>
    public const int TriggerLogServerPort = 8794;

    /// <summary>Flower's port: its default (<c>airflow celery flower --port</c>).</summary>
    public const int FlowerPort = 5555;

    /// <summary>
    /// The variable the api-server's container gets the admin password in, for <see cref="ApiServerStartScript"/> alone: the
    /// script removes it from the environment before it becomes the api-server. The leading underscore marks it, as the
    /// image's own <c>_AIRFLOW_WWW_USER_PASSWORD</c>, as read at start and not by Airflow.
    /// </summary>
    public const string AdminPasswordVariable = "_AIRFLOW_ADMIN_PASSWORD";

    /// <summary>The image with its tag: <c>apache/airflow:{Airflow:Version}</c>.</summary>
    public static string Image(AirflowSettings settings) => $"{ImageName}:{settings.Version}";

    /// <summary>
    /// What the api-server's container runs (as <c>python -c SCRIPT api-server ...</c>) where the AppHost writes the simple auth
    /// manager's passwords file on this machine: it writes the file from <see cref="AdminPasswordVariable"/> (owner-only, JSON, as
    /// the AppHost does), removes the variable, and replaces itself with <c>airflow</c> and its own arguments. Without it the
    /// api-server would make up a password of its own and print it to its log, and the <c>admin-password</c> parameter would
    /// sign nobody in. The password is never on a command line.
    /// </summary>
    public static string ApiServerStartScript { get; } = string.Join('\n',
        "import json, os, sys",
        "path = os.environ['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']",
        "with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as file:",
        $"    json.dump({{{JsonSerializer.Serialize(Aspire.Hosting.AirflowBuilderExtensions.AdminUser)}: os.environ.pop('{AdminPasswordVariable}')}}, file)",
        "os.execvp('airflow', ['airflow', *sys.argv[1:]])");

    /// <summary>
    /// Writes <paramref name="process"/> as a <c>container.v0</c> entry: the image, its arguments, the DAGs volume (read-only)
    /// and the logs volume, its environment and its bindings, each written by Aspire's own manifest helpers from the model.
    /// </summary>
    /// <param name="context">The manifest being written.</param>
    /// <param name="process">An Airflow process of a deployment published for containers (<see cref="AirflowResource.InContainers"/>).</param>
    public static async Task WriteManifestAsync(ManifestPublishingContext context, AirflowProcessResource process)
    {
        var airflow = process.Airflow;
        if (!airflow.InContainers)
        {
            throw new InvalidOperationException($"'{process.Name}' runs on this machine: only a published deployment's processes are containers.");
        }
        var writer = context.Writer;
        writer.WriteString("type", "container.v0");
        writer.WriteString("image", Image(airflow.Settings));
        await context.WriteCommandLineArgumentsAsync(process).ConfigureAwait(false);

        writer.WriteStartArray("volumes");
        // The DAG files, which the deployment fills (as Airflow's docker-compose mounts ./dags); no process writes them.
        WriteVolume(writer, airflow.DagsVolume, airflow.Paths.DagsFolder, readOnly: true);
        // One log folder for every process, as AIRFLOW_HOME/logs is on one machine: a finished task's log is read from it.
        WriteVolume(writer, airflow.LogsVolume, airflow.Paths.LogsFolder, readOnly: false);
        writer.WriteEndArray();

        await context.WriteEnvironmentVariablesAsync(process).ConfigureAwait(false);
        context.WriteBindings(process);
    }

    /// <summary>A named volume, as Aspire writes a container's (<c>name</c>, <c>target</c>, <c>readOnly</c>).</summary>
    private static void WriteVolume(Utf8JsonWriter writer, string name, string target, bool readOnly)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("target", target);
        writer.WriteBoolean("readOnly", readOnly);
        writer.WriteEndObject();
    }
}
