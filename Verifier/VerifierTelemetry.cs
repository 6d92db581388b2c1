using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AirflowAspire.Verifier;

/// <summary>The Verifier's spans (one per step) and its step-duration metric, exported to the dashboard.</summary>
public static class VerifierTelemetry
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "AirflowAspire.Verifier";

    /// <summary>One span per step.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary><c>verifier.step.duration</c>, seconds, tagged with the step and its outcome.</summary>
    public static readonly Histogram<double> StepDuration =
        Meter.CreateHistogram<double>("verifier.step.duration", unit: "s", description: "How long each verification step took.");

    /// <summary><c>verifier.run.latency</c>: trigger to terminal state of each DAG run, seconds.</summary>
    public static readonly Histogram<double> RunLatency =
        Meter.CreateHistogram<double>("verifier.run.latency", unit: "s", description: "Trigger to terminal state of a DAG run.");
}
