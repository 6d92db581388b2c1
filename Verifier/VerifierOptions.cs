using AirflowAspire.Contracts;

namespace AirflowAspire.Verifier;

/// <summary>
/// The <c>Verifier</c> configuration section. The AppHost sets what the Verifier must know of the deployment as
/// environment variables (<c>Verifier__…</c>): the Airflow URL, the user and password, the DAG, the queues, the Celery
/// URLs and the names of the resources its messages point at. Each default is what the AppHost set before it passed
/// them all, so the Verifier still works when started by an older AppHost or by hand.
/// </summary>
public sealed class VerifierOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Verifier";

    /// <summary>The api-server; <c>http://airflow-api</c> is resolved by Aspire's service discovery.</summary>
    public string AirflowUrl { get; set; } = "http://airflow-api";

    /// <summary>The simple auth manager's user.</summary>
    public string Username { get; set; } = "admin";

    /// <summary>Its password (the AppHost's generated <c>airflow-admin-password</c>).</summary>
    public string Password { get; set; } = "";

    /// <summary>The DAG to run.</summary>
    public string DagId { get; set; } = "hello_dragonfly";

    /// <summary>A line the task log must contain.</summary>
    public string ExpectedOutput { get; set; } = "Hello from a Celery worker via Dragonfly!";

    /// <summary>The Celery queues the workers consume, comma-separated; every task must have been sent to one.</summary>
    public string Queues { get; set; } = "default";

    /// <summary>
    /// Celery's broker URL as Airflow gets it (<c>[celery] broker_url</c>, <c>redis://:PASSWORD@host:port/N</c>): the
    /// Verifier looks for the queues in its database N. Empty: the broker connection string's server, database 0.
    /// </summary>
    public string BrokerUrl { get; set; } = "";

    /// <summary>
    /// Celery's result backend URL as Airflow gets it (<c>[celery] result_backend</c>): the Verifier looks for the
    /// tasks' results in its database. Empty: the broker connection string's server, database 1.
    /// </summary>
    public string ResultBackendUrl { get; set; } = "";

    /// <summary>
    /// The server the AppHost chose as Celery's broker, <c>dragonfly</c> or <c>redis</c> (<c>Airflow:Broker</c>): the check
    /// <c>broker-is-{ExpectedBroker}</c> holds when <c>INFO server</c> says the broker is that server.
    /// </summary>
    public string ExpectedBroker { get; set; } = "dragonfly";

    /// <summary>The names of the deployment's resources and parameters, as the dashboard shows them, for the Verifier's messages.</summary>
    public VerifierResources Resources { get; set; } = new();

    /// <summary>Where the JSON report is written; none when empty.</summary>
    public string ReportPath { get; set; } = "";

    /// <summary>How long the scheduler and dag-processor may take to report healthy.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long the DAG may take to appear (the dag-processor's refresh interval, and its first parse).</summary>
    public TimeSpan DagTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How long a tag of <c>Verifier:Dags</c> must select the same DAGs before they are run: the dag-processor parses files
    /// one after another, so the first answer may lack a tagged DAG whose file is not parsed yet. The AppHost's
    /// <c>[dag_processor] refresh_interval</c> (5 s) by default.
    /// </summary>
    public TimeSpan TagSettleTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a run may take from trigger to a terminal state.</summary>
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How often states are polled: the verdict follows Airflow's by at most this.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Benchmark mode (<c>--runs N</c>): how many runs; 0 verifies one run with every check.</summary>
    public int Runs { get; set; }

    /// <summary>Benchmark mode (<c>--concurrency M</c>): runs in flight at once.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>
    /// The user's own DAGs to prove besides <see cref="DagId"/>, comma-separated: DAG ids and <c>tag:NAME</c> entries (a tag
    /// selects every DAG that has it). Empty: only <see cref="DagId"/> runs. Read by <see cref="Verification.DagSelection"/>.
    /// </summary>
    public string Dags { get; set; } = "";

    /// <summary>
    /// The <c>conf</c> of each chosen DAG's run, by DAG id (<c>Verifier:Conf:{dag_id}</c> = a JSON object, e.g.
    /// <c>Verifier__Conf__inventory_sync={"items": 5}</c>); a DAG without one is triggered with <c>{}</c>.
    /// </summary>
    public Dictionary<string, string> Conf { get; set; } = [];

    /// <summary>
    /// Whether each file Airflow could not import fails the verdict (a check <c>import-error:{filename}</c>). False: import
    /// errors are reported (the report's <c>parse</c>) and do not fail it.
    /// </summary>
    public bool FailOnImportErrors { get; set; }

    /// <summary>The queues as a list.</summary>
    public IReadOnlyList<string> QueueList => CeleryQueues.Parse(Queues);
}

/// <summary>
/// The <c>Verifier:Resources</c> section: what the deployment's resources and parameters are called on the dashboard,
/// so that a likely cause says where to look. The defaults are the names the AppHost gives them.
/// </summary>
public sealed class VerifierResources
{
    /// <summary>The one-shot <c>airflow db migrate</c>.</summary>
    public string Migration { get; set; } = "airflow-migrate";

    /// <summary>The api-server.</summary>
    public string ApiServer { get; set; } = "airflow-api";

    /// <summary>The scheduler.</summary>
    public string Scheduler { get; set; } = "airflow-scheduler";

    /// <summary>The DAG processor.</summary>
    public string DagProcessor { get; set; } = "airflow-dag-processor";

    /// <summary>The triggerer; empty when the deployment runs none.</summary>
    public string Triggerer { get; set; } = "airflow-triggerer";

    /// <summary>The Celery workers, comma-separated.</summary>
    public string Workers { get; set; } = "airflow-worker-1";

    /// <summary>Celery's broker and result backend.</summary>
    public string Broker { get; set; } = "dragonfly";

    /// <summary>The parameter holding the admin's password, which the api-server reads from its passwords file.</summary>
    public string AdminPasswordParameter { get; set; } = "airflow-admin-password";

    /// <summary>The parameter holding <c>[api_auth] jwt_secret</c>, which every process must share.</summary>
    public string JwtSecretParameter { get; set; } = "airflow-jwt-secret";

    /// <summary>The workers as a list.</summary>
    public IReadOnlyList<string> WorkerList => Workers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
