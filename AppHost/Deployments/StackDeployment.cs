using AirflowAspire.AppHost.Airflow;

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
            var postgres = builder.AddPostgres("airflow-postgres").WithParentRelationship(airflow);
            if (builder.ExecutionContext.IsPublishMode)
            {
                // On a cluster the metadata must outlive the database's container.
                postgres.WithDataVolume("airflow-postgres-data");
            }
            airflow.WithPostgresMetadataDatabase(postgres.AddDatabase("airflow-db", "airflow"));
        }
        var api = airflow.GetApiServer();
        if (settings.AcceptsRemoteWorkers)
        {
            // --Airflow:ListenAddress=ADDRESS: the broker and the api-server on an address other hosts reach, and the join file.
            airflow.WithRemoteWorkers(settings.ListenAddress!, settings.ApiPort, settings.WorkerLogServerPort ?? AirflowContainer.WorkerLogServerPort, settings.RemoteWorkerList);
        }

        airflow.AddScheduler("airflow-scheduler");
        airflow.AddDagProcessor("airflow-dag-processor");
        if (settings.Triggerer)
        {
            airflow.AddTriggerer("airflow-triggerer");
        }
        // Workers run their tasks through the api-server's Task Execution API.
        var workers = airflow.AddCeleryWorkers("airflow-worker", settings.Workers, settings.QueueList, settings.Concurrency);
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
#pragma warning restore ASPIRECERTIFICATES001
            // Not in a published manifest: deployment tools run a project as a service and start it again when it exits, so it would
            // trigger the DAG over and over, and its report is a file of this machine. Run it by hand against a cluster (README).
            .ExcludeFromManifest()
            .VerifiesAirflow(airflow)
            .WaitFor(broker)
            .WaitFor(api)
            .WaitForAll(workers)
            .WaitForAll(airflow.Resource.RemoteWorkers.Select(builder.CreateResourceBuilder));
    }
}
