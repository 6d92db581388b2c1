using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Verification;

namespace AirflowAspire.Tests.Verifier;

/// <summary>Causes a failed or stuck run is given from its evidence: the task log's own words, the queues the tasks wait on.</summary>
public sealed class LikelyCauseTests
{
    [Fact]
    public void A_worker_without_the_DAG_file_is_named_from_Airflows_own_error_in_the_task_log()
    {
        var cause = new LikelyCause(new VerifierOptions()).ForFailedRun([],
        [
            "DAG bundles loaded: dags-folder",
            "DAG not found during start up dag_id=hello_dragonfly path=hello_dragonfly.py",
        ]);

        Assert.NotNull(cause);
        Assert.Contains("copy the DAG files to each worker's host", cause);
        Assert.Contains("DAG not found during start up dag_id=hello_dragonfly", cause);
    }

    [Fact]
    public void Another_failure_is_quoted_from_the_end_of_the_task_log_without_blaming_the_DAG_file()
    {
        var cause = new LikelyCause(new VerifierOptions()).ForFailedRun([], ["Task failed with exception", "ZeroDivisionError"]);

        Assert.Equal("the task failed; the end of its log: Task failed with exception | ZeroDivisionError", cause);
    }
}
