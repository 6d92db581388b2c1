using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>A command run to its exit within a bound, its standard output and error together.</summary>
public static class ProcessRun
{
    /// <summary>
    /// Runs <paramref name="start"/> (its output redirected here) to its exit; past <paramref name="bound"/> the process
    /// tree is killed and the test fails with what it printed.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan bound)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not end within {bound.TotalSeconds} s: {await output}{await error}");
        }
        return (process.ExitCode, await output + await error);
    }
}
