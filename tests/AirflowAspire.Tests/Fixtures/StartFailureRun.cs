namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The AppHost run for real (DCP) with a resource that fails to start, on the stand-in of Airflow's environment so that
/// nothing else fails first; and what such a run must show: one line on the failed resource, and every resource that waits
/// for it failed at once, naming it, without a stack trace.
/// </summary>
public sealed class StartFailureRun : IAsyncDisposable
{
    /// <summary>What waits for the broker (and the metadata database): the Airflow processes that start by themselves, and the Verifier.</summary>
    public static readonly string[] Dependents =
        ["airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker-1", "verifier"];

    /// <summary>Generous for a 2-core machine under load: DCP's own start takes a few seconds, its retries up to 30.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private readonly AirflowStandIn _standIn;

    private StartFailureRun(AirflowStandIn standIn, RunningAppHost app) => (_standIn, App) = (standIn, app);

    public RunningAppHost App { get; }

    /// <summary>Starts the AppHost with the arguments, on a fresh stand-in environment.</summary>
    public static async Task<StartFailureRun> StartAsync(params string[] arguments)
    {
        DebianPrerequisites.Require();
        var standIn = AirflowStandIn.Create();
        try
        {
            var app = await RunningAppHost.StartAsync(Bound,
            [
                $"--Airflow:VirtualEnvironment={standIn.VirtualEnvironment}",
                $"--Airflow:Version={standIn.AirflowVersion}",
                $"--Airflow:Home={Path.Combine(standIn.Folder, "home")}",
                .. arguments,
            ]);
            return new StartFailureRun(standIn, app);
        }
        catch
        {
            standIn.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the resource's one-line explanation, which starts with <paramref name="start"/>, and returns it (without the log's timestamp).</summary>
    public async Task<string> ExplanationAsync(string resource, string start)
    {
        var line = await App.WaitForLogAsync(resource, start, Bound);
        var explanation = line[line.IndexOf(start, StringComparison.Ordinal)..];
        Assert.DoesNotContain('\n', explanation);
        return explanation;
    }

    /// <summary>
    /// Every dependent ends <c>FailedToStart</c>, its log naming <paramref name="failed"/> and quoting its explanation, with no
    /// stack trace; and, when <paramref name="beforeTheOrchestratorGivesUp"/>, while DCP still retries the failed resource.
    /// </summary>
    public async Task AssertDependentsFailNamingAsync(string failed, string explanation, bool beforeTheOrchestratorGivesUp = false)
    {
        foreach (var dependent in Dependents)
        {
            var state = await App.WaitForStateAsync(dependent, Bound, "FailedToStart", "Finished", "Exited", "Running");
            Assert.Equal("FailedToStart", state.Snapshot.State?.Text);
            var line = await App.WaitForLogAsync(dependent, $"'{dependent}' did not start because '{failed}', which it waits for, failed: ", Bound);
            Assert.Contains(explanation, line);
            Assert.DoesNotContain(App.Log(dependent), l => l.Contains("\n   at ", StringComparison.Ordinal));
        }
        if (beforeTheOrchestratorGivesUp)
        {
            // DCP retries a container that fails to start for 15 to 30 s before FailedToStart; the dependents ended first.
            var now = await App.App.ResourceNotifications.WaitForResourceAsync(failed, _ => true, TestContext.Current.CancellationToken);
            Assert.NotEqual("FailedToStart", now.Snapshot.State?.Text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _standIn.Dispose();
    }
}
