namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// What the AppHost knows of one Airflow 3 line: the releases it accepts, the Python versions the line's constraints exist for,
/// and the line's differences the AppHost acts on. Each fact's source is in <c>tests/AirflowAspire.Tests/TestData/Airflow/lines.md</c>.
/// </summary>
/// <param name="Minor">The line, 3.<c>Minor</c>.</param>
/// <param name="MinPatch">The first release of the line the AppHost accepts.</param>
/// <param name="MinPython">The oldest Python (3.x) the line supports.</param>
/// <param name="MaxPython">The newest Python (3.x) the line supports.</param>
/// <param name="ReadsStandardOtlpEnvironment">
/// Airflow's metrics read <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (plus <c>/v1/metrics</c>) before <c>[metrics] otel_host</c> and
/// <c>otel_port</c> (apache/airflow#56150, #56634; from 3.2.0).
/// </param>
/// <param name="DagProcessorHangsWithOpenTelemetry">
/// The dag-processor's parsing processes never finish with OpenTelemetry on, so no DAG is ever serialized
/// (apache/airflow#73583, reported on 3.3.2, open): the AppHost turns telemetry off for that process and says so.
/// </param>
/// <param name="DagProcessorTagsMetricsWithFileObjects">
/// The dag-processor tags <c>dag_processing.processes</c> (and <c>processor_timeouts</c>) with the <c>DagFileInfo</c> object
/// instead of its path (3.0.3's dag_processing/manager.py; later code passes <c>str(file.rel_path)</c>), which OTLP cannot
/// encode: the SDK logs "Failed to encode key file_path" with a traceback at every export (seen on real 3.0.3). The AppHost
/// blocks those two metrics on that line (<see cref="DagFileObjectMetrics"/>).
/// </param>
public sealed record AirflowLine(int Minor, int MinPatch, int MinPython, int MaxPython, bool ReadsStandardOtlpEnvironment,
    bool DagProcessorHangsWithOpenTelemetry, bool DagProcessorTagsMetricsWithFileObjects)
{
    /// <summary>The line as written in versions, e.g. <c>3.3</c>.</summary>
    public string Name => $"3.{Minor}";

    /// <summary>
    /// <c>[metrics] metrics_block_list</c> for the metrics a <see cref="DagProcessorTagsMetricsWithFileObjects"/> line tags with
    /// a file object: comma-separated patterns, each matched anywhere in the lower-cased name (metrics/validators.py, re.findall).
    /// </summary>
    public const string DagFileObjectMetrics = @"^dag_processing\.processes$,^dag_processing\.processor_timeouts$";
}

/// <summary>The Airflow lines the AppHost runs (<c>Airflow:Version</c> must be a release of one of them).</summary>
public static class AirflowLines
{
    /// <summary>
    /// The Celery provider releases whose duplicate-hostname check (apache/airflow#58591, provider 3.14.0) warms Kombu's connection
    /// pools before the worker forks whenever <c>--celery-hostname</c> is given, so the worker reserves tasks and never runs them
    /// (apache/airflow#59707); fixed in 3.19.0 (apache/airflow#65826). The AppHost names every worker that way, for its health
    /// check: such a provider is never installed (the environment step asks for 3.19.0 or later instead) nor accepted in
    /// an existing environment.
    /// </summary>
    public const string BrokenCeleryProvider = "apache-airflow-providers-celery>=3.14.0,<3.19.0";

    /// <summary>
    /// What the Celery provider 3.19.0 needs that a line's constraints may pin lower: <c>apache-airflow-providers-common-compat&gt;=1.14.2</c>
    /// (the 3.1 line's pin 1.10.1), so its pin is dropped together with the provider's.
    /// </summary>
    public const string CeleryProviderCompanion = "apache-airflow-providers-common-compat";

    /// <summary>Every line, oldest first. 3.0.0 and 3.0.1 read <c>[webserver] secret_key</c>, which 3.0.2 moved to the <c>[api] secret_key</c> the AppHost sets.</summary>
    public static IReadOnlyList<AirflowLine> All { get; } =
    [
        new(0, MinPatch: 2, MinPython: 9, MaxPython: 12, ReadsStandardOtlpEnvironment: false, DagProcessorHangsWithOpenTelemetry: false,
            DagProcessorTagsMetricsWithFileObjects: true),
        new(1, MinPatch: 0, MinPython: 10, MaxPython: 13, ReadsStandardOtlpEnvironment: false, DagProcessorHangsWithOpenTelemetry: false, DagProcessorTagsMetricsWithFileObjects: false),
        new(2, MinPatch: 0, MinPython: 10, MaxPython: 13, ReadsStandardOtlpEnvironment: true, DagProcessorHangsWithOpenTelemetry: false, DagProcessorTagsMetricsWithFileObjects: false),
        new(3, MinPatch: 0, MinPython: 10, MaxPython: 14, ReadsStandardOtlpEnvironment: true, DagProcessorHangsWithOpenTelemetry: true, DagProcessorTagsMetricsWithFileObjects: false),
    ];

    /// <summary>The line of <paramref name="minor"/>, or null when the AppHost does not run it.</summary>
    public static AirflowLine? Find(int minor) => All.FirstOrDefault(line => line.Minor == minor);
}
