using System.Net;

namespace AirflowAspire.Verifier.Airflow;

/// <summary>Airflow's REST API answered a call with an error: which call, the status, Airflow's own <c>detail</c>.</summary>
public sealed class AirflowApiException(string operation, HttpStatusCode status, string detail)
    : Exception($"{operation} answered {(int)status} {status}: {detail}")
{
    /// <summary>The call, e.g. <c>POST /api/v2/dags/hello_dragonfly/dagRuns</c>.</summary>
    public string Operation { get; } = operation;

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>Airflow's error detail (the body's <c>detail</c>, or the body).</summary>
    public string Detail { get; } = detail;
}
