var builder = DistributedApplication.CreateBuilder(args);

// Celery's broker (db 0) and result backend (db 1): a container, or a local binary
// with --Dragonfly:Executable=PATH.
var dragonfly = builder.AddDragonfly("dragonfly");

// Python environment, `airflow db migrate`, and the configuration every process shares.
var airflow = builder.AddAirflow("airflow")
    .WithCeleryBroker(dragonfly);

var api = airflow.AddApiServer("airflow-api");
airflow.AddScheduler("airflow-scheduler");
airflow.AddDagProcessor("airflow-dag-processor");
airflow.AddTriggerer("airflow-triggerer");
var workers = airflow.AddCeleryWorkers("airflow-worker");
airflow.AddFlower("airflow-flower");

builder.AddProject<Projects.Verifier>("verifier")
    .WithReference(dragonfly)
    .WaitFor(dragonfly)
    .WaitFor(api)
    .WaitFor(workers);

builder.Build().Run();
