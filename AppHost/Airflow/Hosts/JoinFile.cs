using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AirflowAspire.AppHost.Airflow.Hosts;

/// <summary>
/// What a Celery worker on another host needs to join a deployment, written by the main host's AppHost
/// (<c>.airflow/join.json</c>, owner-only) and read by <c>--Airflow:Role=workers --Airflow:Join=PATH</c>. In Airflow 3 a
/// worker needs the broker, the Task Execution API and the DAG files; of the secrets only <c>[api] secret_key</c>, which
/// its log server checks the api-server's log-fetch tokens with (<c>serve_logs.py</c>).
/// </summary>
public sealed record JoinFile
{
    /// <summary>The format this AppHost writes and reads.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The key in the broker's db 0 where the main host announces its <see cref="DeploymentId"/>.</summary>
    public const string DeploymentKey = "airflow-aspire:deployment";

    /// <summary>The format of the file.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The deployment's name on the main host (<c>airflow</c>).</summary>
    public required string Deployment { get; init; }

    /// <summary>Tells deployments apart: derived from its JWT secret, so stable across runs and different for another deployment.</summary>
    public required string DeploymentId { get; init; }

    /// <summary>The main host's <c>Airflow:Version</c>: a worker must run the same.</summary>
    public required string AirflowVersion { get; init; }

    /// <summary><c>dragonfly</c> or <c>redis</c>.</summary>
    public required string BrokerKind { get; init; }

    /// <summary>The broker's address, as other hosts reach it.</summary>
    public required string BrokerHost { get; init; }

    /// <summary>The broker's port.</summary>
    public required int BrokerPort { get; init; }

    /// <summary>The broker's password.</summary>
    public required string BrokerPassword { get; init; }

    /// <summary><c>[core] execution_api_server_url</c>: the api-server's Task Execution API, as other hosts reach it.</summary>
    public required string ExecutionApiUrl { get; init; }

    /// <summary><c>[logging] worker_log_server_port</c> of the api-server, which fetches every host's task logs on it.</summary>
    public required int WorkerLogServerPort { get; init; }

    /// <summary><c>[api] secret_key</c>: the api-server signs log-fetch tokens with it, the worker's log server checks them.</summary>
    public required string SecretKey { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The id of the deployment whose JWT secret is <paramref name="jwtSecret"/>: not the secret, and not reversible to it.</summary>
    public static string IdFor(string jwtSecret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("airflow-aspire-deployment:" + jwtSecret)))[..16];

    /// <summary>Writes the file readable and writable by its owner only, replacing any earlier one.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".new";
        File.Delete(temporary);
        // Created owner-only, so the secrets are never readable by others, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads and checks a join file; every problem is an <see cref="InvalidSettingException"/> on <c>Airflow:Join</c> that
    /// says what is wrong and how to fix it.
    /// </summary>
    public static JoinFile Read(string path, string localAirflowVersion)
    {
        if (!File.Exists(path))
        {
            throw Invalid(path, "an existing file: copy .airflow/join.json from the main host (it is written when the main AppHost runs with Airflow:ListenAddress)");
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw Invalid(path, $"a file only its owner can read, as it holds the broker's password: chmod 600 {path}");
        }
        JoinFile? join;
        try
        {
            var text = File.ReadAllText(path);
            // The format first: a file of another format is not to be read as this one.
            using (var document = JsonDocument.Parse(text))
            {
                var format = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("format", out var value)
                    && value.TryGetInt32(out var number) ? number : (int?)null;
                if (format is { } other && other != CurrentFormat)
                {
                    throw Invalid(path, $"a join file of format {CurrentFormat} (this one: {other}): run the same AirflowAspire version on both hosts");
                }
            }
            join = JsonSerializer.Deserialize<JoinFile>(text, Json);
        }
        catch (JsonException exception)
        {
            throw Invalid(path, $"the JSON the main host's AppHost writes, which this is not ({exception.Message}): copy .airflow/join.json from the main host again");
        }
        if (join is null)
        {
            throw Invalid(path, "the JSON the main host's AppHost writes, which this is not (it is empty): copy .airflow/join.json from the main host again");
        }
        if (join.AirflowVersion != localAirflowVersion)
        {
            throw Invalid(path, $"a deployment of this host's Airflow {localAirflowVersion}; the main host runs {join.AirflowVersion}: set Airflow:Version the same on both hosts");
        }
        if (!Uri.TryCreate(join.ExecutionApiUrl, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https") || join.BrokerPort is < 1 or > 65535
            || string.IsNullOrEmpty(join.BrokerHost) || string.IsNullOrEmpty(join.SecretKey) || join.WorkerLogServerPort is < 1 or > 65535)
        {
            throw Invalid(path, "a complete join file (broker address and port, Task Execution API URL, log-server port, secret key): copy .airflow/join.json from the main host again");
        }
        return join;
    }

    private static InvalidSettingException Invalid(string path, string expected) => new(AirflowSettings.SectionName, "Join", path, expected);
}
