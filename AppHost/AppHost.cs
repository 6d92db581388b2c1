using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Postgres;
using AirflowAspire.AppHost.Redis;
using AirflowAspire.AppHost.StartFailures;

var builder = DistributedApplication.CreateBuilder(args);
var top = RepositoryPaths.Top(builder.AppHostDirectory);
var airflowSettings = AirflowSettings.From(builder.Configuration, top);
var benchmark = BenchmarkSettings.From(builder.Configuration);
// Publishing (--operation publish --publisher manifest) writes a manifest for a cluster: settings that only work here are refused.
if (builder.ExecutionContext.IsPublishMode)
{
    ClusterPublishing.ThrowIfLocalOnly(builder.Configuration, airflowSettings);
}

if (benchmark.Enabled)
{
    // --Benchmark:Brokers=dragonfly,redis: the brokers side by side and real Celery from the Airflow environment; no Airflow process.
    var environment = builder.AddAirflowEnvironment("airflow-env", airflowSettings);
    var brokers = benchmark.BrokerList.Select(name => name == "redis"
        ? AddRedisBroker(RedisSettings.From(builder.Configuration, top))
        : AddDragonflyBroker(DragonflySettings.From(builder.Configuration, top))).ToList();
    builder.AddBrokerBenchmark("broker-benchmark", environment, brokers, benchmark, new AirflowPaths(top, airflowSettings).BrokerBenchmarkReport);
    builder.Build().Run();
    return;
}

if (airflowSettings.RunsWorkersOnly)
{
    // --Airflow:Role=workers --Airflow:Join=PATH: Celery workers on this host for a deployment on another (its join file).
    var join = JoinFile.Read(airflowSettings.Join!, airflowSettings.Version);
    builder.AddJoinedCeleryWorkers("airflow", join, airflowSettings.Join!, airflowSettings);
    builder.Build().Run();
    return;
}

// Celery's broker (db 0) and result backend (db 1): Dragonfly, or Redis with Airflow:Broker=redis.
var broker = airflowSettings.UsesRedis
    ? AddRedisBroker(RedisSettings.From(builder.Configuration, top))
    : AddDragonflyBroker(DragonflySettings.From(builder.Configuration, top));

// The Python environment, `airflow db migrate` and the api-server; every Airflow process waits for the
// environment and the migration to complete and for the broker to be healthy.
var airflow = builder.AddAirflow("airflow", broker, airflowSettings);
if (airflowSettings.UsesPostgres)
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
var api = airflow.GetApiServer();
if (airflowSettings.AcceptsRemoteWorkers)
{
    // --Airflow:ListenAddress=ADDRESS: the broker and the api-server on an address other hosts reach, and the join file.
    airflow.WithRemoteWorkers(airflowSettings.ListenAddress!, airflowSettings.ApiPort, airflowSettings.WorkerLogServerPort, airflowSettings.RemoteWorkerList);
}

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
    // Not in a published manifest: deployment tools run a project as a service and start it again when it exits, so it would
    // trigger the DAG over and over, and its report is a file of this machine. Run it by hand against a cluster (README).
    .ExcludeFromManifest()
    .VerifiesAirflow(airflow)
    .WaitFor(broker)
    .WaitFor(api)
    .WaitForAll(workers)
    .WaitForAll(airflow.Resource.RemoteWorkers.Select(builder.CreateResourceBuilder));

builder.Build().Run();

// A container, or a local binary (Dragonfly:Executable).
IResourceBuilder<IResourceWithConnectionString> AddDragonflyBroker(DragonflySettings settings)
{
    IResourceBuilder<IDragonflyResource> dragonfly = settings.Executable is { Length: > 0 } executable
        ? builder.AddDragonflyExecutable("dragonfly", executable, settings.Port)
        : AddDragonflyContainer(settings);
    dragonfly.WithThreads(settings.Threads, settings.MaxMemoryMiB);
    if (airflowSettings.AcceptsRemoteWorkers)
    {
        dragonfly.WithListenAddress(airflowSettings.ListenAddress!, settings.Port ?? DragonflyBuilderExtensions.ContainerPort);
    }
    return settings.Persistent ? dragonfly.WithPersistence() : dragonfly;
}

// The image from the settings (a mirror, a private registry), and a raised locked-memory limit only when asked for.
IResourceBuilder<DragonflyResource> AddDragonflyContainer(DragonflySettings settings)
{
    var dragonfly = settings.ContainerImage.ApplyTo(builder.AddDragonfly("dragonfly", settings.Port));
    return settings.MemlockLimitBytes is { } memlock ? dragonfly.WithMemlockLimit(memlock) : dragonfly;
}

// Aspire.Hosting.Redis's container (plain TCP on loopback, as Dragonfly), or a local redis-server (Redis:Executable).
IResourceBuilder<IResourceWithConnectionString> AddRedisBroker(RedisSettings settings)
    => settings.Executable is { Length: > 0 } executable
        ? builder.AddRedisExecutable("redis", executable)
        : settings.ContainerImage.ApplyTo(builder.AddRedis("redis")).WithoutHttpsCertificate().ExplainsStartFailures(StartFailureSubject.Redis);
#pragma warning restore ASPIRECERTIFICATES001
