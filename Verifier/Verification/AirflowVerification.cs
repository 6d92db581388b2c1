using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using AirflowAspire.Verifier.Verification.Steps;
using Microsoft.Extensions.Logging;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Proves a DAG run end to end, as a pipeline of named steps: Airflow reachable and healthy, logged in, the DAG parsed
/// and unpaused (<see cref="Preparation"/>); a run triggered and polled to its end, then what it left in Airflow and in
/// the broker (<see cref="Verification"/>); and whatever happened, what the broker is (<see cref="BrokerIdentity"/>).
/// Every step is a span and a duration; every check lands in the report.
/// </summary>
public sealed class AirflowVerification
{
    private readonly VerifierOptions _options;
    private readonly VerificationPipeline _pipeline;
    private readonly RunTrigger _trigger;

    /// <summary>The steps of a verification against <paramref name="airflow"/> and <paramref name="broker"/>.</summary>
    public AirflowVerification(AirflowClient airflow, CeleryBrokerInspector broker, VerifierOptions options, ILogger logger)
    {
        var causes = new LikelyCause(options);
        _options = options;
        _pipeline = new VerificationPipeline(causes, logger);
        _trigger = new RunTrigger(airflow, options);
        _selection = DagSelection.From(options);
        Access =
        [
            new ApiReachableStep(airflow, options, causes),
            new ComponentsHealthyStep(airflow, options, causes),
            new LogInStep(airflow, options, causes),
        ];
        Preparation = [.. Access, new DagParsedStep(airflow, options, causes), new DagUnpausedStep(airflow, options, causes)];
        Verification = [new RunStep(_trigger, causes), new OutcomeStep(airflow, broker, options, causes)];
        ChosenDags = new ChosenDagsStep(airflow, options, _selection, _trigger, causes);
        ParseReport = new ParseReportStep(airflow, options, causes);
        BrokerIdentity = new BrokerIdentityStep(broker, causes, options.ExpectedBroker);
    }

    private readonly DagSelection _selection;

    /// <summary>The steps that reach Airflow and log in (api, health, login): every later step needs them.</summary>
    public IReadOnlyList<IVerificationStep> Access { get; }

    /// <summary>The steps before a run (api, health, login, dag, unpause); the benchmark runs them once.</summary>
    public IReadOnlyList<IVerificationStep> Preparation { get; }

    /// <summary>The user's own DAGs (<see cref="VerifierOptions.Dags"/>), after the stack's own proof; run only when some are chosen.</summary>
    public IVerificationStep ChosenDags { get; }

    /// <summary>
    /// What the dag-processor made of the DAGs folder (the report's <c>parse</c>), after the runs; read when DAGs are chosen or
    /// <see cref="VerifierOptions.FailOnImportErrors"/> is set.
    /// </summary>
    public IVerificationStep ParseReport { get; }

    /// <summary>The steps of the run itself (run, outcome).</summary>
    public IReadOnlyList<IVerificationStep> Verification { get; }

    /// <summary>The broker step, run last whatever happened before.</summary>
    public IVerificationStep BrokerIdentity { get; }

    /// <summary>Runs every step and check; the report says what held.</summary>
    public async Task<VerificationReport> RunAsync(CancellationToken ct)
    {
        var run = new VerificationRun(new VerificationReport { DagId = _options.DagId });
        try
        {
            // The stack's own DAG as before; the user's DAGs after it, whatever it came to, once Airflow is reached and the
            // Verifier logged in: a DAG of theirs may pass where the stack's own DAG failed, and the report says both.
            // After it, not beside it: its broker checks (queues drained, a Celery result per task) count this run's traces only.
            if (await _pipeline.RunAsync(Access, run, ct).ConfigureAwait(false))
            {
                await _pipeline.RunAsync([.. Preparation.Skip(Access.Count), .. Verification], run, ct).ConfigureAwait(false);
                if (!_selection.IsEmpty)
                {
                    await _pipeline.RunStepAsync(ChosenDags, run, ct).ConfigureAwait(false);
                }
                if (!_selection.IsEmpty || _options.FailOnImportErrors)
                {
                    await _pipeline.RunStepAsync(ParseReport, run, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Whatever happened before, say what the broker is: "not Dragonfly" explains a lot.
            await _pipeline.RunStepAsync(BrokerIdentity, run, ct).ConfigureAwait(false);
        }
        return run.Report;
    }

    /// <summary>The steps before a run: reachable, healthy, logged in, the DAG parsed and unpaused.</summary>
    public Task<bool> PrepareAsync(VerificationReport report, CancellationToken ct) => _pipeline.RunAsync(Preparation, new VerificationRun(report), ct);

    /// <summary>Triggers one run and polls it to a terminal state; null when it did not end in time.</summary>
    public Task<(DagRun Run, TimeSpan Latency)?> TriggerAndWaitAsync(string runId, CancellationToken ct) => _trigger.TriggerAndWaitAsync(runId, ct);

    /// <summary>A run id of the Verifier's own: sortable, unique, and safe in a URL path.</summary>
    public static string NewRunId() => RunTrigger.NewRunId();

    /// <summary>Checks what the broker is (<c>INFO server</c>) and records it in the report, outside any step.</summary>
    public Task<bool> CheckBrokerIdentityAsync(VerificationReport report) => BrokerIdentity.RunAsync(new VerificationRun(report), CancellationToken.None);
}
