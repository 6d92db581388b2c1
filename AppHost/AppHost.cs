using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;

var builder = DistributedApplication.CreateBuilder(args);
var top = RepositoryPaths.Top(builder.AppHostDirectory);
var dragonflySettings = DragonflySettings.From(builder.Configuration, top);
var airflowSettings = AirflowSettings.From(builder.Configuration, top);

// Celery's broker (db 0) and result backend (db 1): a container, or a local binary (Dragonfly:Executable).
IResourceBuilder<IDragonflyResource> dragonfly = dragonflySettings.Executable is { Length: > 0 } executable
    ? builder.AddDragonflyExecutable("dragonfly", executable)
    : builder.AddDragonfly("dragonfly").WithImageTag(dragonflySettings.ImageTag);
dragonfly.WithThreads(dragonflySettings.Threads, dragonflySettings.MaxMemoryMiB);
if (dragonflySettings.Persistent)
{
    dragonfly.WithPersistence();
}

// The Python environment, `airflow db migrate` and the api-server; every Airflow process waits for the
// environment and the migration to complete and for Dragonfly to be healthy.
var airflow = builder.AddAirflow("airflow", dragonfly, airflowSettings);
if (airflowSettings.UsesPostgres)
{
    airflow.WithPostgresMetadataDatabase(builder.AddPostgres("airflow-postgres").WithParentRelationship(airflow).AddDatabase("airflow-db", "airflow"));
}
var api = airflow.GetApiServer();

airflow.AddScheduler("airflow-scheduler");
airflow.AddDagProcessor("airflow-dag-processor");
if (airflowSettings.Triggerer)
{
    airflow.AddTriggerer("airflow-triggerer");
}
// Workers run their tasks through the api-server's Task Execution API.
var workers = airflow.AddCeleryWorkers("airflow-worker", airflowSettings.Workers, airflowSettings.QueueList, airflowSettings.Concurrency);
foreach (var worker in workers)
{
    worker.WaitFor(api);
}
airflow.AddFlower("airflow-flower");

// Triggers the DAG and proves the outcome end to end, once Airflow can run it; the deployment's "Verify" command reruns it.
#pragma warning disable ASPIRECERTIFICATES001 // Experimental in 13.6.
builder.AddProject<Projects.Verifier>("verifier")
    // It serves nothing: without this, every project counts as using TLS and the http profile's dashboard opens on
    // "No trusted development certificate" (Aspire 13.5+, DcpHost.EnsureDevelopmentCertificateTrustAsync).
    .WithoutHttpsCertificate()
    .VerifiesAirflow(airflow)
    .WaitFor(dragonfly)
    .WaitFor(api)
    .WaitForAll(workers);
#pragma warning restore ASPIRECERTIFICATES001

builder.Build().Run();
