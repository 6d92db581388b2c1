using System.Collections.Concurrent;
using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A real Celery worker (Debian's python3-celery, Celery's default app) consuming from a broker,
/// started under a given node name; ready once Celery logs that the node is ready.
/// </summary>
public sealed class CeleryWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private CeleryWorkerProcess(Process process) => _process = process;

    /// <summary>Everything the worker printed so far, for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    public static async Task<CeleryWorkerProcess> StartAsync(string brokerUrl, string node)
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(DebianPrerequisites.Python,
                ["-m", "celery", "--broker", brokerUrl, "worker", "--hostname", node, "--pool", "solo",
                 "--without-mingle", "--without-gossip", "--loglevel", "INFO"])
            { RedirectStandardOutput = true, RedirectStandardError = true },
        };
        var worker = new CeleryWorkerProcess(process);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object _, DataReceivedEventArgs line)
        {
            if (line.Data is null)
            {
                return;
            }
            worker._output.Enqueue(line.Data);
            // Celery's "celery@host ready." once the consumer, remote control included, is running.
            if (line.Data.Contains($"{node} ready.", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            worker.Dispose();
            throw new TimeoutException($"Celery worker {node} did not report ready within 30 s:\n{worker.Output}");
        }
        return worker;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
