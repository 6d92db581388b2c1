using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Runs steps in order, each in its span, timed into the report's <c>step_seconds</c> and the step-duration metric, its
/// outcome logged. A step that throws is a failed check with its likely cause, never a crash: the Verifier always gets
/// to its verdict and writes its report.
/// </summary>
/// <param name="causes">Names the cause of a step that threw.</param>
/// <param name="logger">Where each step's outcome is logged.</param>
public sealed class VerificationPipeline(LikelyCause causes, ILogger logger)
{
    /// <summary>Runs <paramref name="steps"/> in order until one fails; true when every one passed.</summary>
    public async Task<bool> RunAsync(IEnumerable<IVerificationStep> steps, VerificationRun run, CancellationToken ct)
    {
        foreach (var step in steps)
        {
            if (!await RunStepAsync(step, run, ct).ConfigureAwait(false))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One step: a span, a duration in the report and the metric, the outcome logged; an exception is a failed check.</summary>
    public async Task<bool> RunStepAsync(IVerificationStep step, VerificationRun run, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var activity = VerifierTelemetry.Source.StartActivity($"verify {step.Name}");
        var clock = Stopwatch.StartNew();
        bool passed;
        try
        {
            passed = await step.RunAsync(run, ct).ConfigureAwait(false);
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            // An error answer, a connection refused, a timeout of the HTTP pipeline, a body that is not Airflow's, a broker
            // gone: a failed step, never a crash.
            passed = run.Report.Add(new Check($"{step.Name}-step", false, $"the {step.Name} step completes",
                $"{exception.GetType().Name}: {exception.Message}", causes.ForStepFailure(exception)));
        }
        var seconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        run.Report.StepSeconds[step.Name] = seconds;
        activity?.SetStatus(passed ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        VerifierTelemetry.StepDuration.Record(seconds, new("step", step.Name), new("passed", passed));
        logger.LogInformation("Step {Step} {Outcome} in {Seconds:0.000} s", step.Name, passed ? "passed" : "failed", seconds);
        return passed;
    }
}
