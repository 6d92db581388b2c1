using System.Text.RegularExpressions;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.Contracts;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The <c>Airflow</c> section of the AppHost's configuration, overridable on the command line
/// (<c>dotnet run --project AppHost -- --Airflow:Workers=2</c>).
/// </summary>
public sealed partial class AirflowSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Airflow";

    /// <summary>The Airflow version installed (<c>apache-airflow[celery]==Version</c>); pinned in appsettings.json only.</summary>
    public string Version { get; init; } = "";

    /// <summary>The Python version of the environment, major.minor (Airflow's constraints are per Python version); pinned in appsettings.json only.</summary>
    public string PythonVersion { get; init; } = "";

    /// <summary>An existing virtual environment with Airflow, used as it is instead of installing one.</summary>
    public string? VirtualEnvironment { get; set; }

    /// <summary><c>AIRFLOW_HOME</c> (airflow.cfg, logs, the SQLite database); unset: <c>.airflow/home</c> at the repository's top.</summary>
    public string? Home { get; set; }

    /// <summary>The DAGs folder every process reads, the workers included; unset: the repository's <c>airflow/dags</c>.</summary>
    public string? DagsFolder { get; set; }

    /// <summary>
    /// A requirements file of the user's (pip's format, as Astronomer's requirements.txt or the compose file's
    /// <c>_PIP_ADDITIONAL_REQUIREMENTS</c>): installed with Airflow under Airflow's constraints, or, with
    /// <see cref="VirtualEnvironment"/>, checked against that environment. Relative paths start at the repository's top.
    /// </summary>
    public string? Requirements { get; set; }

    /// <summary>How many Celery workers, each a resource of its own.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>The Celery queues every worker consumes, comma-separated.</summary>
    public string Queues { get; init; } = "default";

    /// <summary>Task slots per worker (<c>--concurrency</c>).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>
    /// Run <c>airflow db migrate</c> at every start. Unset, it runs only when the metadata database is not at the head of the
    /// installed Airflow's migration scripts (or when that cannot be read for certain), which every Airflow process checks
    /// again at its start: importing Airflow to find nothing to migrate cost seconds of every start.
    /// </summary>
    public bool AlwaysMigrate { get; init; }

    /// <summary>Run the triggerer (only deferrable operators need it).</summary>
    public bool Triggerer { get; init; } = true;

    /// <summary>Celery's broker and result backend: <c>dragonfly</c> (a container, or <c>Dragonfly:Executable</c>) or <c>redis</c> (a container, or <c>Redis:Executable</c>).</summary>
    public string Broker { get; init; } = "dragonfly";

    /// <summary>
    /// <c>all</c> (the default): the whole deployment on this machine. <c>workers</c>: only Celery workers, joined to a
    /// deployment on another host through <see cref="Join"/>.
    /// </summary>
    public string Role { get; init; } = "all";

    /// <summary>True when this AppHost runs only workers joined to another host's deployment.</summary>
    public bool RunsWorkersOnly => Role.Equals("workers", StringComparison.OrdinalIgnoreCase);

    /// <summary>With <c>Airflow:Role=workers</c>: the join file the main host wrote (<c>.airflow/join.json</c> there).</summary>
    public string? Join { get; set; }

    /// <summary>
    /// An address of this machine that other hosts reach: the broker and the api-server listen on it (instead of loopback),
    /// on fixed ports, and the AppHost writes the join file workers on other hosts start from. Unset: loopback only.
    /// </summary>
    public string? ListenAddress { get; init; }

    /// <summary>True when workers on other hosts can join (<see cref="ListenAddress"/> is set).</summary>
    public bool AcceptsRemoteWorkers => !string.IsNullOrWhiteSpace(ListenAddress);

    /// <summary>With <see cref="ListenAddress"/>: the api-server's port (Airflow's default, 8080).</summary>
    public int ApiPort { get; init; } = 8080;

    /// <summary>
    /// The port of this host's worker log server (the first worker serves the shared log folder, the others run with
    /// <c>--skip-serve-logs</c>), which the api-server reads a running task's log from: <c>[logging] worker_log_server_port</c>.
    /// Unset: Airflow's 8793 with <see cref="ListenAddress"/> (one port for every host), a free port chosen at start otherwise.
    /// </summary>
    public int? WorkerLogServerPort { get; init; }

    /// <summary>Celery node names (<c>name@host</c>) of workers on other hosts, comma-separated: each gets a row and a health check on this dashboard.</summary>
    public string RemoteWorkers { get; init; } = "";

    /// <summary>The remote workers' node names as a list.</summary>
    public IReadOnlyList<string> RemoteWorkerList => [.. RemoteWorkers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>With <c>Airflow:Role=workers</c>: the address the main host reaches this one at; unset, the one this host reaches the broker from.</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>The queue the Verifier's DAG runs its task on; unset: the first of <see cref="Queues"/>. A remote worker's queue proves that worker.</summary>
    public string? VerificationQueue { get; init; }

    /// <summary>The queue the Verifier's DAG runs its task on.</summary>
    public string EffectiveVerificationQueue => VerificationQueue is { Length: > 0 } queue ? queue : QueueList[0];

    /// <summary>True when the broker is Redis.</summary>
    public bool UsesRedis => Broker.Equals("redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>The metadata database: <c>sqlite</c> (a file, development only) or <c>postgres</c> (a container).</summary>
    public string Database { get; init; } = "sqlite";

    /// <summary>The line of <see cref="Version"/> (valid once <see cref="Validate"/> has passed).</summary>
    public AirflowLine Line => AirflowLines.Find(int.Parse(AirflowVersion().Match(Version).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))!;

    /// <summary>The queues as a list.</summary>
    public IReadOnlyList<string> QueueList => CeleryQueues.Parse(Queues);

    /// <summary>True when the metadata database is PostgreSQL.</summary>
    public bool UsesPostgres => Database.Equals("postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The pip requirement: Airflow with the Celery provider, and the PostgreSQL driver when the metadata database is PostgreSQL.</summary>
    public string RequirementWith(bool postgres) => $"apache-airflow[{(postgres ? "celery,postgres" : "celery")}]=={Version}";

    /// <summary>Airflow's official constraints file for this Airflow and Python version.</summary>
    public string ConstraintsUrl =>
        $"https://raw.githubusercontent.com/apache/airflow/constraints-{Version}/constraints-{PythonVersion}.txt";

    /// <summary>Reads and checks the section; a bad value stops the AppHost with the setting's name and the fix.</summary>
    /// <param name="configuration">The AppHost's configuration.</param>
    /// <param name="repositoryTop">Where relative paths start (see <see cref="RepositoryPaths"/>).</param>
    public static AirflowSettings From(IConfiguration configuration, string repositoryTop)
    {
        var settings = SettingsSection.Bind<AirflowSettings>(configuration, SectionName);
        settings.VirtualEnvironment = RepositoryPaths.Resolve(settings.VirtualEnvironment, repositoryTop);
        settings.Home = RepositoryPaths.Resolve(settings.Home, repositoryTop);
        settings.DagsFolder = RepositoryPaths.Resolve(settings.DagsFolder, repositoryTop);
        settings.Join = RepositoryPaths.Resolve(settings.Join, repositoryTop);
        settings.ResolveProjectPaths(repositoryTop);
        settings.Requirements = RepositoryPaths.Resolve(settings.Requirements, repositoryTop);
        settings.Validate();
        return settings;
    }

    /// <summary>Throws <see cref="InvalidSettingException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        var version = AirflowVersion().Match(Version);
        var lines = string.Join(", ", AirflowLines.All.Select(l => $"{l.Name}.{l.MinPatch}"));
        var expected = $"an Airflow 3 release X.Y.Z of a line the AppHost runs, from {lines} on (3.0 to 3.{AirflowLines.All[^1].Minor}), e.g. 3.3.2";
        if (!version.Success)
        {
            throw Invalid("Version", Version, expected);
        }
        var (minor, patch) = (int.Parse(version.Groups[1].Value), int.Parse(version.Groups[2].Value));
        if (AirflowLines.Find(minor) is not { } line)
        {
            throw Invalid("Version", Version, $"{expected}; Airflow 3.{minor} is not one: its commands, configuration keys and REST API "
                + "have not been checked against its own files");
        }
        if (patch < line.MinPatch)
        {
            throw Invalid("Version", Version, $"{expected}: 3.0.0 and 3.0.1 read [webserver] secret_key, which moved to the [api] secret_key the AppHost sets in 3.0.2");
        }
        var pythonVersion = PythonMinor().Match(PythonVersion);
        if (!pythonVersion.Success || int.Parse(pythonVersion.Groups[1].Value) is var python && (python < line.MinPython || python > line.MaxPython))
        {
            throw Invalid("PythonVersion", PythonVersion,
                $"a Python that Airflow {Version} supports: 3.{line.MinPython} to 3.{line.MaxPython}, written major.minor, e.g. 3.12");
        }
        if (Workers is < 1 or > 16)
        {
            throw Invalid("Workers", Workers, "from 1 to 16 Celery workers");
        }
        if (Concurrency is < 1 or > 256)
        {
            throw Invalid("Concurrency", Concurrency, "from 1 to 256 task slots per worker");
        }
        if (QueueList.Count == 0 || QueueList.Any(q => !QueueName().IsMatch(q)))
        {
            throw Invalid("Queues", Queues, "comma-separated queue names of letters, digits, '_', '-' or '.', e.g. default");
        }
        if (!UsesRedis && !Broker.Equals("dragonfly", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("Broker", Broker, "dragonfly or redis");
        }
        if (!UsesPostgres && !Database.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("Database", Database, "sqlite or postgres");
        }
        ValidateHosts();
        if (DagsFolder is { Length: > 0 } dags && !Directory.Exists(dags))
        {
            throw Invalid("DagsFolder", dags, "an existing folder of DAG files (relative paths start at the repository's top)");
        }
        ValidateProject();
        if (Requirements is { Length: > 0 } requirements && !File.Exists(requirements))
        {
            throw Invalid("Requirements", requirements,
                "an existing requirements file in pip's format, e.g. requirements.txt with a line PyYAML>=6.0 (relative paths start at the " +
                "repository's top); create it, correct the path, or leave the setting unset");
        }
        if (VirtualEnvironment is { Length: > 0 } venv && !File.Exists(Path.Combine(venv, "bin", "airflow")))
        {
            throw Invalid("VirtualEnvironment", venv,
                "a virtual environment with Airflow installed (it has no bin/airflow); " +
                "install apache-airflow[celery] into it, or leave the setting unset to let the AppHost install one");
        }
    }

    /// <summary>The settings of a deployment across hosts: the role, the join file, the addresses, ports and node names.</summary>
    private void ValidateHosts()
    {
        if (!RunsWorkersOnly && !Role.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("Role", Role, "all (the whole deployment, the default) or workers (only Celery workers, with Airflow:Join)");
        }
        if (RunsWorkersOnly && string.IsNullOrWhiteSpace(Join))
        {
            throw Invalid("Join", "", "the join file the main host wrote (its .airflow/join.json), copied to this host: --Airflow:Join=PATH");
        }
        if (AcceptsRemoteWorkers)
        {
            MachineAddresses.RequireOwn(SectionName, "ListenAddress", ListenAddress!);
        }
        if (AdvertisedAddress is { Length: > 0 } advertised && !System.Net.IPAddress.TryParse(advertised, out _)
            && Uri.CheckHostName(advertised) != UriHostNameType.Dns)
        {
            throw Invalid("AdvertisedAddress", advertised, "an IP address or host name of this machine that the main host reaches, e.g. 10.0.0.7");
        }
        foreach (var (key, port) in new[] { ("ApiPort", ApiPort), ("WorkerLogServerPort", WorkerLogServerPort ?? AirflowContainer.WorkerLogServerPort) })
        {
            if (port is < 1 or > 65535)
            {
                throw Invalid(key, port, "a TCP port from 1 to 65535");
            }
        }
        if (RemoteWorkerList.FirstOrDefault(node => !CeleryNodeName().IsMatch(node)) is { } badNode)
        {
            throw Invalid("RemoteWorkers", badNode, "Celery node names name@host, comma-separated, as the workers-role AppHost prints them, e.g. airflow-worker-1@hostb");
        }
        if (RemoteWorkerList.Count > 0 && !AcceptsRemoteWorkers)
        {
            throw Invalid("RemoteWorkers", RemoteWorkers, "no remote workers unless Airflow:ListenAddress is set too: without it the broker listens on loopback and no other host can join");
        }
        if (VerificationQueue is { Length: > 0 } queue && !QueueName().IsMatch(queue))
        {
            throw Invalid("VerificationQueue", queue, "a queue name of letters, digits, '_', '-' or '.', e.g. default");
        }
    }

    private static InvalidSettingException Invalid(string key, object value, string expected) => new(SectionName, key, value, expected);

    [GeneratedRegex(@"^3\.(\d+)\.(\d+)$")]
    private static partial Regex AirflowVersion();

    [GeneratedRegex(@"^3\.(\d+)$")]
    private static partial Regex PythonMinor();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex QueueName();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+@[A-Za-z0-9_.\-]+$")]
    private static partial Regex CeleryNodeName();
}
