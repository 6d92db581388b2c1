using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.DagFiles;
using AirflowAspire.AppHost.Postgres;
using AirflowAspire.AppHost.StartFailures;

namespace AirflowAspire.AppHost.Deployments;

/// <summary>The whole stack on this machine: the broker, Airflow's processes and the Verifier, top to bottom in start order.</summary>
internal static class StackDeployment
{
    public static void Add(IDistributedApplicationBuilder builder, string top, AirflowSettings settings)
    {
        // Celery's broker (db 0) and result backend (db 1): Dragonfly, or Redis with Airflow:Broker=redis.
        var broker = Brokers.Add(builder, top, settings);

        // The Python environment, `airflow db migrate` and the api-server; every Airflow process waits for the
        // environment and the migration to complete and for the broker to be healthy.
        var airflow = builder.AddAirflow("airflow", broker, settings);
        if (settings.UsesPostgres)
        {
            // The image from the settings (a mirror, a private registry); a failure to start is explained on its row.
            var postgres = PostgresSettings.From(builder.Configuration).ContainerImage.ApplyTo(builder.AddPostgres("airflow-postgres"))
                .WithParentRelationship(airflow)
                .ExplainsStartFailures(StartFailureSubject.PostgreSql);
            if (builder.ExecutionContext.IsPublishMode)
            {
                // On a cluster the metadata must outlive the database's container.
                postgres.WithDataVolume("airflow-postgres-data");
            }
            airflow.WithPostgresMetadataDatabase(postgres.AddDatabase("airflow-db", "airflow"));
        }
        if (settings.AcceptsRemoteWorkers)
        {
            // --Airflow:ListenAddress=ADDRESS: the broker and the api-server on an address other hosts reach, and the join file.
            airflow.WithRemoteWorkers(settings.ListenAddress!, settings.ApiPort, settings.WorkerLogServerPort ?? AirflowContainer.WorkerLogServerPort, settings.RemoteWorkerList);
        }

        // The project's connections, variables and pools (Airflow:Connections, Variables, Pools), imported after the
        // migration; the scheduler waits for them.
        airflow.WithProjectImports();
        airflow.AddScheduler("airflow-scheduler");
        airflow.AddDagProcessor("airflow-dag-processor");
        if (settings.Triggerer)
        {
            airflow.AddTriggerer("airflow-triggerer");
        }
        // Every long-running process starts once the migration is done, the workers too: a worker needs the api-server's Task
        // Execution API only when it runs a task, and Celery holds a task in the broker until then.
        var workers = airflow.AddCeleryWorkers("airflow-worker", settings.Workers, settings.QueueList, settings.Concurrency);
        airflow.AddFlower("airflow-flower");
        // The row says how many DAGs parsed and which files did not import, while the stack runs.
        airflow.WithDagFilesStatus();

        // Triggers the DAG and proves the outcome end to end; the deployment's "Verify" command reruns it. It starts beside the
        // processes, once the migration is done: each of its own waits (the api-server, its health, the DAG, the run) polls
        // and is bounded, and names what never became ready.
        builder.AddVerifier("verifier")
            .VerifiesAirflow(airflow)
            .WaitFor(broker)
            .WaitForCompletion(builder.CreateResourceBuilder(airflow.Resource.Migration))
            .WaitForAll(airflow.Resource.RemoteWorkers.Select(builder.CreateResourceBuilder));
    }
}
