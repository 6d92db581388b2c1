using System.Collections.Concurrent;
using System.Diagnostics;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StandIn;

/// <summary>
/// The stand-in's worker models apache/airflow#59707: with a Celery provider 3.14.0 to 3.18.x, a worker started with
/// <c>--celery-hostname</c> takes a task and never runs it; with 3.19.0 the same worker runs it. What the AppHost's
/// refusal of such a provider (and the environment step's replacement of it) guards against, shown on the model itself.
/// </summary>
public sealed class CeleryHostnameCheckTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("3.15.0", false)]
    [InlineData("3.19.0", true)]
    public async Task A_worker_named_with_celery_hostname_runs_a_task_only_with_a_provider_outside_59707(string provider, bool runs)
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create("3.1.8", celeryProvider: provider);
        using var broker = new GarnetServer("broker-password");
        var environment = new Dictionary<string, string>
        {
            ["AIRFLOW_HOME"] = Path.Combine(standIn.Folder, "home"),
            ["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor",
            ["AIRFLOW__CELERY__BROKER_URL"] = broker.CeleryUrl(0),
            ["AIRFLOW__CELERY__RESULT_BACKEND"] = broker.CeleryUrl(1),
            ["PYTHONUNBUFFERED"] = "1",
        };
        var airflow = Path.Combine(standIn.VirtualEnvironment, "bin", "airflow");
        Assert.Equal(0, (await RunAsync(environment, airflow, "db", "migrate")).ExitCode);

        var output = new ConcurrentQueue<string>();
        using var worker = Start(environment, output, airflow, "celery", "worker", "--queues", "default", "--concurrency", "1",
            "--celery-hostname", "hostname-check@standin", "--skip-serve-logs");
        try
        {
            await WaitForAsync(output, "ready.");
            // A workload of a kind the CeleryExecutor does not know: a worker that runs it raises at once.
            var python = Path.Combine(standIn.VirtualEnvironment, "bin", "python");
            Assert.Equal(0, (await RunAsync(environment, python, "-c",
                "from airflow_standin.worker.celery_app import app; app.send_task('execute_workload', args=['{\"type\": \"NotATask\"}'], queue='default')")).ExitCode);

            await WaitForAsync(output, "Task execute_workload[");
            if (runs)
            {
                await WaitForAsync(output, "CeleryExecutor does not know how to handle NotATask");
            }
            else
            {
                // Taken, and never run: nothing of it in ten seconds, where a working worker runs it in well under one.
                await Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
                Assert.Contains(output, line => line.Contains("Checking that no other Celery worker is named hostname-check@standin", StringComparison.Ordinal));
                Assert.DoesNotContain(output, line => line.Contains("does not know how to handle", StringComparison.Ordinal));
            }
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
        }
    }

    private static async Task WaitForAsync(ConcurrentQueue<string> output, string text)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!output.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"No line '{text}' within {Bound}:\n{string.Join('\n', output)}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static Process Start(Dictionary<string, string> environment, ConcurrentQueue<string> output, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { output.Enqueue(line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { output.Enqueue(line); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> environment, string program, params string[] args)
    {
        var output = new ConcurrentQueue<string>();
        using var process = Start(environment, output, program, args);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(Bound);
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, string.Join('\n', output));
    }
}
