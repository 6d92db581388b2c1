using System.Diagnostics;
using System.Text.Json;

namespace AirflowAspire.Verifier.Verification;

/// <summary>Latency of many runs (<c>--runs N --concurrency M</c>), to measure a stack or compare brokers.</summary>
public sealed record BenchmarkResult(
    int Runs, int Concurrency, int Succeeded, int Failed, int TimedOut,
    double MinSeconds, double P50Seconds, double P95Seconds, double MaxSeconds,
    double RunsPerMinute, double WallSeconds, string? Broker, string? AirflowVersion)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The result as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Summarises trigger-to-terminal latencies; percentiles by the nearest-rank method.</summary>
    public static BenchmarkResult From(int runs, int concurrency, IReadOnlyList<(string State, double Seconds)> finished, int timedOut,
        TimeSpan wall, string? broker, string? airflowVersion)
    {
        var sorted = finished.Where(f => f.State == "success").Select(f => f.Seconds).Order().ToArray();
        double Rank(double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new BenchmarkResult(runs, concurrency, sorted.Length, finished.Count - sorted.Length, timedOut,
            Math.Round(Rank(0), 3), Math.Round(Rank(0.5), 3), Math.Round(Rank(0.95), 3), Math.Round(Rank(1), 3),
            Math.Round(sorted.Length / wall.TotalMinutes, 1), Math.Round(wall.TotalSeconds, 3), broker, airflowVersion);
    }
}

/// <summary>Triggers <c>Runs</c> runs, <c>Concurrency</c> at a time, after the same preparation as a verification.</summary>
public sealed class Benchmark(AirflowVerification verification, VerifierOptions options)
{
    /// <summary>Null when the preparation failed (the report says why).</summary>
    public async Task<BenchmarkResult?> RunAsync(VerificationReport report, CancellationToken ct)
    {
        if (!await verification.PrepareAsync(report, ct).ConfigureAwait(false))
        {
            return null;
        }
        // Measured on what: the result names the broker, so Dragonfly and Redis figures are told apart.
        await verification.CheckBrokerIdentityAsync(report).ConfigureAwait(false);
        var finished = new List<(string, double)>();
        var timedOut = 0;
        using var slots = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Runs).Select(async _ =>
        {
            await slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                (Airflow.DagRun Run, TimeSpan Latency)? outcome;
                try
                {
                    outcome = await verification.TriggerAndWaitAsync(AirflowVerification.NewRunId(), ct).ConfigureAwait(false);
                }
                catch (Exception exception) when (!ct.IsCancellationRequested)
                {
                    // One run the API refused or lost counts as failed; the others go on.
                    lock (finished)
                    {
                        finished.Add(($"error: {exception.Message}", 0));
                    }
                    return;
                }
                lock (finished)
                {
                    if (outcome is { } o)
                    {
                        finished.Add((o.Run.State, o.Latency.TotalSeconds));
                    }
                    else
                    {
                        timedOut++;
                    }
                }
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);
        return BenchmarkResult.From(options.Runs, options.Concurrency, finished, timedOut, wall.Elapsed, report.Broker, report.AirflowVersion);
    }
}
