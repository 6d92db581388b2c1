var builder = DistributedApplication.CreateBuilder(args);

// Celery's broker (db 0) and result backend (db 1): a container, or a local binary
// with --Dragonfly:Executable=PATH.
var dragonfly = builder.AddDragonfly("dragonfly");

// Python environment, `airflow db migrate`, and the configuration every process shares.
var airflow = builder.AddAirflow("airflow")
    .WithCeleryBroker(dragonfly);

airflow.AddApiServer("airflow-api");
airflow.AddScheduler("airflow-scheduler");
airflow.AddDagProcessor("airflow-dag-processor");
airflow.AddTriggerer("airflow-triggerer");
airflow.AddCeleryWorkers("airflow-worker");
airflow.AddFlower("airflow-flower");

// Triggers the DAG and proves the outcome end to end; the api-server's "Verify" command reruns it.
builder.AddProject<Projects.Verifier>("verifier")
    .VerifiesAirflow(airflow, dragonfly);

builder.Build().Run();
