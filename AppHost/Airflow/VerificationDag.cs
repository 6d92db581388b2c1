namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The DAG the Verifier runs, <c>airflow/dags/hello_dragonfly.py</c>: its id and the line its one task prints. The
/// AppHost hands both to the Verifier; the tests hold them to the file.
/// </summary>
public static class VerificationDag
{
    /// <summary>The file's <c>dag_id</c>.</summary>
    public const string Id = "hello_dragonfly";

    /// <summary>Its file, in the repository's <c>airflow/dags</c>.</summary>
    public const string FileName = "hello_dragonfly.py";

    /// <summary>What its task prints, so its log must contain it.</summary>
    public const string ExpectedOutput = "Hello from a Celery worker via Dragonfly!";
}
