using AirflowAspire.Contracts;

namespace AirflowAspire.Verifier;

/// <summary>
/// The <c>Verifier</c> configuration section. The AppHost sets the Airflow URL, the password, the queues
/// and the report path as environment variables (<c>Verifier__…</c>); the rest have defaults.
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

    /// <summary>Where the JSON report is written; none when empty.</summary>
    public string ReportPath { get; set; } = "";

    /// <summary>How long the scheduler and dag-processor may take to report healthy.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long the DAG may take to appear (the dag-processor's refresh interval, and its first parse).</summary>
    public TimeSpan DagTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long a run may take from trigger to a terminal state.</summary>
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How often states are polled: the verdict follows Airflow's by at most this.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Benchmark mode (<c>--runs N</c>): how many runs; 0 verifies one run with every check.</summary>
    public int Runs { get; set; }

    /// <summary>Benchmark mode (<c>--concurrency M</c>): runs in flight at once.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>The queues as a list.</summary>
    public IReadOnlyList<string> QueueList => CeleryQueues.Parse(Queues);
}
