using AirflowAspire.AppHost.Python;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// An Airflow deployment on Celery: what every one of its processes shares (home, DAGs folder, metadata
/// database, secrets, Celery broker, the api-server), declared once. Made whole by <c>AddAirflow</c>, so
/// none of it can be missing; its processes are child resources that inherit all of it
/// (see <see cref="AirflowProcessResource"/>).
/// </summary>
public sealed class AirflowResource : Resource
{
    internal AirflowResource(string name, AirflowSettings settings, AirflowPaths paths, AirflowSecrets secrets, CeleryBroker broker)
        : base(name)
    {
        Settings = settings;
        Paths = paths;
        Secrets = secrets;
        Broker = broker;
        MetadataDatabase = ReferenceExpression.Create($"sqlite:///{paths.SqliteDatabase}");
    }

    /// <summary>The settings it was made from.</summary>
    public AirflowSettings Settings { get; }

    /// <summary>Where its files live.</summary>
    public AirflowPaths Paths { get; }

    /// <summary>
    /// True when the deployment is published for a cluster (<c>--operation publish</c>): each process is written to the manifest as
    /// a container of Airflow's official image (<see cref="AirflowContainer"/>), with the paths inside it (<see cref="AirflowPaths.ForContainer"/>).
    /// </summary>
    public bool InContainers => Paths.InContainer;

    /// <summary>
    /// The address the processes' servers listen on: loopback on this machine, where only the AppHost's proxies reach them; all
    /// interfaces in a container, which only the deployment's network reaches, and whose loopback no other container can.
    /// </summary>
    public string ListenAddress => InContainers ? "0.0.0.0" : "127.0.0.1";

    /// <summary>The named volume of a published deployment that holds the DAG files (<c>{name}-dags</c>), which the deployment fills.</summary>
    public string DagsVolume => $"{Name}-dags";

    /// <summary>The named volume of a published deployment that every process writes its logs to (<c>{name}-logs</c>).</summary>
    public string LogsVolume => $"{Name}-logs";

    /// <summary>
    /// <c>[logging] worker_log_server_port</c> of every process: the port this host's one worker log server listens on (the first
    /// worker's; the others run with <c>--skip-serve-logs</c>, as the log folder is shared), and the one the api-server reads a
    /// running task's log from, at <c>http://{ti.hostname}:{port}/log/...</c> (3.0.3 <c>file_task_handler.py</c>,
    /// <c>_get_log_retrieval_url</c>). A value the AppHost chooses, not another resource's endpoint: the orchestrator cannot put
    /// one executable's allocated port into another's environment, and left the api-server an unresolved template.
    /// </summary>
    public int WorkerLogServerPort { get; internal set; }

    /// <summary>
    /// The triggerer's log server port: <c>[logging] trigger_log_server_port</c> for the triggerer, which serves on it, and
    /// <c>[logging] triggerer_log_server_port</c> for the api-server, the key 3.0.3's <c>file_task_handler.py</c> reads (its
    /// fallback, 8794, otherwise).
    /// </summary>
    public int TriggerLogServerPort { get; internal set; }

    /// <summary>The generated secrets every process shares.</summary>
    public AirflowSecrets Secrets { get; }

    /// <summary>Celery's broker (db 0) and result backend (db 1).</summary>
    public CeleryBroker Broker { get; }

    /// <summary>The deployment's row on the dashboard: the Verifier's verdict and the DAG files' state, one state.</summary>
    public DagFiles.DeploymentRow Row { get; } = new();

    /// <summary>The one-shot resource that makes the Python environment ready (installs it, or checks an existing one).</summary>
    public PythonEnvironmentResource Environment { get; internal set; } = null!;

    /// <summary>
    /// The one-shot <c>airflow db migrate</c>: on this machine run by <c>migrate_database.py</c>, only when the database is not
    /// already at the installed Airflow's head (see <see cref="AirflowSettings.AlwaysMigrate"/>).
    /// </summary>
    public AirflowProcessResource Migration { get; internal set; } = null!;

    /// <summary>The api-server, whose endpoint serves the UI, the REST API and the Task Execution API.</summary>
    public AirflowProcessResource ApiServer { get; internal set; } = null!;

    /// <summary>The metadata database connection (SQLAlchemy URL): a SQLite file unless <c>WithPostgresMetadataDatabase</c>.</summary>
    public ReferenceExpression MetadataDatabase { get; internal set; }

    /// <summary>The PostgreSQL database, when the metadata database is PostgreSQL.</summary>
    public PostgresDatabaseResource? PostgresDatabase { get; internal set; }

    /// <summary>The Celery workers, in the order they were added.</summary>
    public IReadOnlyList<CeleryWorkerResource> Workers => _workers;

    /// <summary>Every process of the deployment, in the order they were added.</summary>
    public IReadOnlyList<AirflowProcessResource> Processes => ProcessList;

    /// <summary>The Celery workers on other hosts this dashboard follows (<c>WithRemoteWorkers</c>).</summary>
    public IReadOnlyList<Hosts.RemoteCeleryWorkerResource> RemoteWorkers => RemoteWorkerList;

    /// <summary>Where workers on other hosts reach the deployment; null while it listens on loopback only.</summary>
    public Hosts.RemoteAccess? RemoteAccess { get; internal set; }

    internal List<Hosts.RemoteCeleryWorkerResource> RemoteWorkerList { get; } = [];

    internal List<CeleryWorkerResource> WorkerList => _workers;

    internal List<AirflowProcessResource> ProcessList { get; } = [];

    private readonly List<CeleryWorkerResource> _workers = [];

    /// <summary>A server's target port: Airflow's default in a container (<paramref name="containerPort"/>), allocated on this machine.</summary>
    internal int? TargetPort(int containerPort) => InContainers ? containerPort : null;

    /// <summary>
    /// Throws when a process Airflow 3 cannot run a task without is missing, naming it and the method that adds it:
    /// without a scheduler no run starts, without a dag-processor no DAG exists, without a Celery worker every task stays queued.
    /// </summary>
    public void ThrowIfIncomplete()
    {
        var missing = new List<string>();
        if (!ProcessList.Any(p => p.Role == AirflowRole.Scheduler))
        {
            missing.Add("a scheduler (AddScheduler)");
        }
        if (!ProcessList.Any(p => p.Role == AirflowRole.DagProcessor))
        {
            missing.Add("a dag-processor (AddDagProcessor)");
        }
        if (_workers.Count == 0)
        {
            missing.Add("a Celery worker (AddCeleryWorkers)");
        }
        if (missing.Count > 0)
        {
            throw new DistributedApplicationException(
                $"Airflow '{Name}' cannot run a task: it lacks {string.Join(", ", missing)}. Add them in the AppHost.");
        }
    }

    /// <summary>
    /// Throws when a published deployment (<see cref="InContainers"/>) has its metadata database in SQLite: a file on one machine,
    /// which its processes, each a container on a cluster, cannot share.
    /// </summary>
    public void ThrowIfNotPublishable()
    {
        if (InContainers && PostgresDatabase is null)
        {
            throw new DistributedApplicationException(
                $"Airflow '{Name}' cannot be published with its metadata database in SQLite: a file on one machine, which its containers " +
                "on a cluster cannot share. Give it PostgreSQL (WithPostgresMetadataDatabase; in this AppHost: --Airflow:Database=postgres).");
        }
    }
}

/// <summary>What an Airflow process does, as its <c>airflow</c> subcommand.</summary>
public enum AirflowRole
{
    /// <summary><c>airflow db migrate</c>, once.</summary>
    Migration,

    /// <summary><c>airflow api-server</c>.</summary>
    ApiServer,

    /// <summary><c>airflow scheduler</c>.</summary>
    Scheduler,

    /// <summary><c>airflow dag-processor</c>.</summary>
    DagProcessor,

    /// <summary><c>airflow triggerer</c>.</summary>
    Triggerer,

    /// <summary><c>airflow celery worker</c>.</summary>
    CeleryWorker,

    /// <summary><c>airflow celery flower</c>.</summary>
    Flower,

    /// <summary>A one-shot <c>airflow connections|variables|pools import</c> of the user's project, after the migration.</summary>
    Import,
}

/// <summary>
/// One Airflow process (api-server, scheduler, worker, ...), run from the environment's
/// <c>airflow</c> executable with the shared configuration of its deployment.
/// </summary>
/// <remarks>
/// Shown under its deployment on the dashboard (a parent relationship), but not an
/// <see cref="IResourceWithParent"/>: Aspire makes a wait on such a resource also wait on its
/// parent, which would forbid one process of a deployment from waiting on another.
/// </remarks>
/// <param name="name">The resource name.</param>
/// <param name="airflow">The deployment.</param>
/// <param name="role">What it does.</param>
/// <param name="executableName">The environment's executable it runs: <c>airflow</c>, or <c>python</c> for a script of the AppHost's.</param>
public class AirflowProcessResource(string name, AirflowResource airflow, AirflowRole role, string executableName = "airflow")
    : PythonAppResource(name, executableName, airflow.Paths.Root, airflow.Paths.VirtualEnvironment)
{
    /// <summary>The deployment the process belongs to.</summary>
    public AirflowResource Airflow { get; } = airflow;

    /// <summary>What it does.</summary>
    public AirflowRole Role { get; } = role;
}

/// <summary>A Celery worker of the deployment (<c>airflow celery worker</c>).</summary>
/// <param name="name">The resource name, also the first part of its Celery node name.</param>
/// <param name="airflow">The deployment.</param>
/// <param name="nodeName">Its Celery node name, <c>name@host</c>, which its health check pings.</param>
/// <param name="queues">The queues it consumes.</param>
public sealed class CeleryWorkerResource(string name, AirflowResource airflow, string nodeName, IReadOnlyList<string> queues)
    : AirflowProcessResource(name, airflow, AirflowRole.CeleryWorker)
{
    /// <summary>Its Celery node name, <c>name@host</c>.</summary>
    public string NodeName { get; } = nodeName;

    /// <summary>The queues it consumes.</summary>
    public IReadOnlyList<string> Queues { get; } = queues;
}
