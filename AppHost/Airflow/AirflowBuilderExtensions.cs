using System.Globalization;
using System.Text.Json;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Adds an Airflow 3 deployment on Celery to the application model: <see cref="AddAirflow"/> makes what
/// every process needs (environment, migration, api-server, shared configuration), then one method per process.
/// </summary>
public static class AirflowBuilderExtensions
{
    /// <summary>The admin user the simple auth manager creates (<c>[core] simple_auth_manager_users</c>).</summary>
    public const string AdminUser = "admin";

    /// <summary>
    /// Adds an Airflow deployment whose Celery broker and result backend are <paramref name="broker"/> (db 0 and db 1):
    /// its Python environment (<c>{name}-env</c>), the metadata database migration (<c>{name}-migrate</c>), the
    /// api-server (<c>{name}-api</c>) and the configuration and secrets its processes share. Add the other processes
    /// with <c>AddScheduler</c>, <c>AddDagProcessor</c>, <c>AddCeleryWorkers</c> (required) and <c>AddTriggerer</c>,
    /// <c>AddFlower</c> (optional), in any order. Every process waits for the environment and the migration to complete
    /// and for the broker to be healthy; the migration waits for the broker and the metadata database.
    /// Published (<c>--operation publish</c>), each process is written to the manifest as a container of Airflow's official
    /// image instead (<see cref="AirflowContainer"/>), and the environment step and the deployment itself are left out of it.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The deployment's name, the prefix of its resources' names.</param>
    /// <param name="broker">A Dragonfly resource (container or local binary).</param>
    /// <param name="settings">The Airflow version, Python version, paths (validated: <see cref="AirflowSettings.From"/>).</param>
    /// <param name="adminPassword">The admin's password parameter; a generated secret one (<c>{name}-admin-password</c>) when null.</param>
    public static IResourceBuilder<AirflowResource> AddAirflow(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<IResourceWithConnectionString> broker, AirflowSettings settings, IResourceBuilder<ParameterResource>? adminPassword = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(settings);

        var top = RepositoryPaths.Top(builder.AppHostDirectory);
        var paths = builder.ExecutionContext.IsPublishMode ? AirflowPaths.ForContainer(top, settings) : new AirflowPaths(top, settings);
        var resource = new AirflowResource(name, settings, paths, AirflowSecrets.Add(builder, name, adminPassword), CeleryBroker.For(broker.Resource))
        {
            // In a container each process is a host of its own, on Airflow's default ports; here, ports the AppHost chooses.
            WorkerLogServerPort = settings.WorkerLogServerPort ?? (paths.InContainer ? AirflowContainer.WorkerLogServerPort : EndpointBinding.FreePort()),
            TriggerLogServerPort = paths.InContainer ? AirflowContainer.TriggerLogServerPort : EndpointBinding.FreePort(),
        };
        var airflow = builder.AddResource(resource)
            .WithInitialState(new() { ResourceType = "Airflow", State = "Configured", Properties = [] })
            // What its processes share, written into each of them: it runs nothing itself.
            .ExcludeFromManifest();

        resource.Environment = builder.AddAirflowEnvironment($"{name}-env", settings).WithParentRelationship(airflow)
            // Made on this machine; Airflow's image already has Airflow.
            .ExcludeFromManifest()
            .Resource;

        resource.Migration = airflow.AddMigration($"{name}-migrate").Resource;
        resource.ApiServer = airflow.AddApiServer($"{name}-api").Resource;

        // What a deployment cannot run without, checked before anything starts: processes can be added in any order.
        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            resource.ThrowIfIncomplete();
            resource.ThrowIfNotPublishable();
            if (!resource.InContainers)
            {
                // The log servers listen on the ports the deployment chose (WithRemoteWorkers may have changed the workers' one):
                // shown on the dashboard, never allocated or proxied by Aspire.
                resource.Workers[0].Annotations.OfType<EndpointAnnotation>().First(e => e.Name == "logs").FixOn(resource.WorkerLogServerPort);
                foreach (var triggerer in resource.Processes.Where(p => p.Role == AirflowRole.Triggerer))
                {
                    triggerer.Annotations.OfType<EndpointAnnotation>().First(e => e.Name == "logs").FixOn(resource.TriggerLogServerPort);
                }
            }
            return Task.CompletedTask;
        });
        return airflow;
    }

    /// <summary>
    /// The Python environment with Airflow (and its Celery and redis-py) that <see cref="AddAirflow"/> makes ready first: an
    /// install of <c>apache-airflow[celery]</c> with Airflow's constraints, or a check of <c>Airflow:VirtualEnvironment</c>; either
    /// with the user's <c>Airflow:Requirements</c> file.
    /// Also what the broker benchmark runs Celery from.
    /// </summary>
    public static IResourceBuilder<PythonEnvironmentResource> AddAirflowEnvironment(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, AirflowSettings settings)
    {
        var paths = new AirflowPaths(RepositoryPaths.Top(builder.AppHostDirectory), settings);
        var environment = settings.VirtualEnvironment is { Length: > 0 }
            // Read from the installed metadata, not `airflow version`, which imports all of Airflow (seconds at every start).
            ? builder.AddExistingPythonEnvironment(name, paths.VirtualEnvironment, "apache-airflow", settings.Version, "Airflow:Version", "airflow", "airflow")
            : builder.AddPythonEnvironment(name, paths.VirtualEnvironment, settings.PythonVersion,
                settings.RequirementWith(postgres: false), settings.ConstraintsUrl);
        // Airflow:Requirements: installed in the same install as Airflow, under its constraints, or checked in an existing environment.
        environment.WithRequirementsFile(settings.Requirements);
        // Every worker is named with --celery-hostname (its health check pings that name): such workers of a Celery provider with
        // the duplicate-hostname check reserve tasks and never run them (apache/airflow#59707), so that provider never runs here.
        return environment.Avoiding(AirflowLines.BrokenCeleryProvider,
            "its workers, which the AppHost starts with --celery-hostname, reserve tasks and never run them (apache/airflow#59707, fixed in 3.19.0 by apache/airflow#65826)",
            AirflowLines.CeleryProviderCompanion);
    }

    /// <summary>
    /// The metadata database's migration, once, before every other process. Airflow's image runs <c>airflow db migrate</c>;
    /// here <c>migrate_database.py</c> runs it only when the database is not at the installed Airflow's head, by the check
    /// every Airflow process makes at its start, read without importing Airflow (seconds of every start otherwise).
    /// </summary>
    private static IResourceBuilder<AirflowProcessResource> AddMigration(this IResourceBuilder<AirflowResource> airflow, string name)
    {
        var resource = airflow.Resource;
        if (resource.InContainers)
        {
            return airflow.AddProcess(new AirflowProcessResource(name, resource, AirflowRole.Migration)).WithArgs("db", "migrate");
        }
        var script = Path.Combine(airflow.ApplicationBuilder.AppHostDirectory, "Airflow", "Python", "migrate_database.py");
        return airflow.AddProcess(new AirflowProcessResource(name, resource, AirflowRole.Migration, "python"))
            .WithArgs(context =>
            {
                context.Args.Add(script);
                if (resource.Settings.AlwaysMigrate)
                {
                    context.Args.Add("--always");
                }
            });
    }

    /// <summary>The api-server that <see cref="AddAirflow"/> added.</summary>
    public static IResourceBuilder<AirflowProcessResource> GetApiServer(this IResourceBuilder<AirflowResource> airflow)
        => airflow.ApplicationBuilder.CreateResourceBuilder(airflow.Resource.ApiServer);

    /// <summary>
    /// The metadata database on PostgreSQL instead of a SQLite file: the SQLAlchemy URL Airflow connects with
    /// (psycopg2, from the <c>postgres</c> extra, which the environment then installs); the migration waits for it.
    /// Published, the server's container creates the database at its first start (<c>POSTGRES_DB</c>).
    /// </summary>
    public static IResourceBuilder<AirflowResource> WithPostgresMetadataDatabase(this IResourceBuilder<AirflowResource> airflow,
        IResourceBuilder<PostgresDatabaseResource> database)
    {
        var resource = airflow.Resource;
        if (resource.PostgresDatabase is not null)
        {
            throw new InvalidOperationException($"Airflow '{resource.Name}' already has its metadata database '{resource.PostgresDatabase.Name}'.");
        }
        var server = database.Resource.Parent;
        var endpoint = server.PrimaryEndpoint;
        resource.PostgresDatabase = database.Resource;
        resource.MetadataDatabase = ReferenceExpression.Create(
            $"postgresql+psycopg2://{server.UserNameReference}:{server.PasswordParameter:uri}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/{database.Resource.DatabaseName}");
        resource.Environment.Requirement = resource.Settings.RequirementWith(postgres: true);
        airflow.ApplicationBuilder.CreateResourceBuilder(resource.Migration).WaitFor(database);
        if (resource.InContainers)
        {
            // On this machine the AppHost creates the database once the server is up; on a cluster no AppHost runs, so the
            // postgres image creates it at its first start (POSTGRES_DB), before `airflow db migrate` can fill it.
            airflow.ApplicationBuilder.CreateResourceBuilder(server).WithEnvironment("POSTGRES_DB", database.Resource.DatabaseName);
        }
        return airflow;
    }

    /// <summary>
    /// The scheduler, with its own health endpoint on a port Aspire allocates, bound to loopback (in a container: on Airflow's
    /// default port, on all interfaces, so the deployment can probe it).
    /// </summary>
    public static IResourceBuilder<AirflowProcessResource> AddScheduler(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var scheduler = airflow.AddProcess(new AirflowProcessResource(name, airflow.Resource, AirflowRole.Scheduler))
            .WithArgs("scheduler")
            // The project's connections, variables and pools are in before the first task is scheduled.
            .WaitForImports(airflow.Resource)
            .WithHttpEndpoint(name: "health", targetPort: airflow.Resource.TargetPort(AirflowContainer.SchedulerHealthPort));
        return scheduler
            .WithEnvironment("AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK", "True")
            // It has no authentication: loopback only on this machine (its default is 0.0.0.0).
            .WithEnvironment("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST", airflow.Resource.ListenAddress)
            .WithEnvironment("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT", scheduler.Resource.GetEndpoint("health").Property(EndpointProperty.TargetPort))
            .WithHttpHealthCheck("/health", endpointName: "health");
    }

    /// <summary>
    /// The DAG processor: mandatory in Airflow 3, where the scheduler no longer parses DAG files. On a line whose dag-processor
    /// hangs with OpenTelemetry on (3.3: apache/airflow#73583) its telemetry is off, and its log says so when it starts; on a line
    /// whose dag-processor tags two metrics with objects OTLP cannot encode (3.0) those two metrics are blocked.
    /// </summary>
    public static IResourceBuilder<AirflowProcessResource> AddDagProcessor(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var processor = airflow.AddProcess(new AirflowProcessResource(name, airflow.Resource, AirflowRole.DagProcessor)).WithArgs("dag-processor");
        var line = airflow.Resource.Settings.Line;
        if (line.DagProcessorTagsMetricsWithFileObjects)
        {
            // After the shared telemetry settings: only where they turned metrics on. Without it the dag-processor's log holds a
            // traceback at every export (every 5 s) for metrics whose file_path attribute is dropped anyway.
            processor.WithEnvironment(context =>
            {
                if (context.EnvironmentVariables.ContainsKey("AIRFLOW__METRICS__OTEL_ON"))
                {
                    context.EnvironmentVariables["AIRFLOW__METRICS__METRICS_BLOCK_LIST"] = AirflowLine.DagFileObjectMetrics;
                }
            });
        }
        if (!line.DagProcessorHangsWithOpenTelemetry)
        {
            return processor;
        }
        return processor
            // After the shared telemetry settings (callbacks run in the order they were added): this one wins.
            .WithEnvironment(context =>
            {
                // Only where the shared settings turned it on (run mode with the dashboard's OTLP/HTTP endpoint).
                foreach (var key in new[] { "AIRFLOW__METRICS__OTEL_ON", "AIRFLOW__TRACES__OTEL_ON" }.Where(context.EnvironmentVariables.ContainsKey))
                {
                    context.EnvironmentVariables[key] = "False";
                }
            })
            .OnBeforeResourceStarted((resource, e, _) =>
            {
                e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource).LogWarning(
                    "OpenTelemetry is off for the dag-processor: on Airflow {Line} its parsing processes never finish with it on, so no DAG " +
                    "would ever appear (apache/airflow#73583). The other processes still send their metrics and traces.", line.Name);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// The triggerer, which deferrable operators need; its log server on the deployment's <see cref="AirflowResource.TriggerLogServerPort"/>
    /// (<c>[logging] trigger_log_server_port</c>, set for every process by the shared environment).
    /// </summary>
    public static IResourceBuilder<AirflowProcessResource> AddTriggerer(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
        => airflow.AddProcess(new AirflowProcessResource(name, airflow.Resource, AirflowRole.Triggerer)).WithArgs("triggerer")
            .WithEndpoint(name: "logs", scheme: "http", targetPort: airflow.Resource.TargetPort(AirflowContainer.TriggerLogServerPort));

    /// <summary>
    /// <paramref name="count"/> Celery workers, <c>{name}-1</c>, <c>{name}-2</c>, ..., each with its own Celery node name
    /// (<c>{name}-N@host</c>), on <paramref name="queues"/> with <paramref name="concurrency"/> slots; healthy when the worker
    /// answers Celery's remote-control ping through the broker. The deployment's first worker serves this host's log folder
    /// (shared by every process) on <see cref="AirflowResource.WorkerLogServerPort"/>; the others run with <c>--skip-serve-logs</c>,
    /// as they would collide on that port. In containers each worker is a host of its own and serves its own logs.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<CeleryWorkerResource>> AddCeleryWorkers(this IResourceBuilder<AirflowResource> airflow,
        [ResourceName] string name, int count, IReadOnlyList<string> queues, int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        if (queues.Count == 0)
        {
            throw new ArgumentException("A Celery worker needs at least one queue.", nameof(queues));
        }
        var broker = airflow.Resource.Broker;
        // The host part Celery's %h would give (socket.gethostname()), spelled out so that the health check pings exactly the
        // name the worker registers under. In a container Celery expands %h itself: the container's name is known only there.
        var host = airflow.Resource.InContainers ? "%h" : System.Net.Dns.GetHostName();
        return Enumerable.Range(1, count).Select(index =>
        {
            var workerName = $"{name}-{index}";
            var node = $"{workerName}@{host}";
            var servesLogs = airflow.Resource.InContainers || airflow.Resource.WorkerList.Count == 0;
            var worker = airflow.AddProcess(new CeleryWorkerResource(workerName, airflow.Resource, node, queues))
                .WithArgs("celery", "worker",
                    "--queues", string.Join(',', queues),
                    "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
                    "--celery-hostname", node);
            if (servesLogs)
            {
                worker.WithEndpoint(name: "logs", scheme: "http", targetPort: airflow.Resource.TargetPort(AirflowContainer.WorkerLogServerPort));
            }
            else
            {
                worker.WithArgs("--skip-serve-logs");
            }

            airflow.Resource.WorkerList.Add(worker.Resource);
            return worker.WithCeleryPingHealthCheck(broker.Resource.ConnectionStringExpression, node);
        }).ToList();
    }

    /// <summary>
    /// Flower, Celery's monitoring UI, bound to loopback: registered, started only from the dashboard. In a container it listens
    /// on all interfaces, on its default port, behind a binding the deployment does not expose outside.
    /// </summary>
    public static IResourceBuilder<AirflowProcessResource> AddFlower(this IResourceBuilder<AirflowResource> airflow, [ResourceName] string name)
    {
        var flower = airflow.AddProcess(new AirflowProcessResource(name, airflow.Resource, AirflowRole.Flower))
            .WithHttpEndpoint(name: "http", targetPort: airflow.Resource.TargetPort(AirflowContainer.FlowerPort))
            .WithExplicitStart();
        // Flower has no authentication of its own: loopback only on this machine (`--hostname` is its bind address, default 0.0.0.0).
        return flower.WithArgs(context => AddAll(context,
            "celery", "flower", "--hostname", airflow.Resource.ListenAddress, "--port", flower.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort)));
    }

    /// <summary>
    /// The api-server (UI, REST API and the Task Execution API) on a port Aspire allocates, bound to loopback; healthy when
    /// <c>/api/v2/monitor/health</c> reports the metadata database healthy. Before it starts, the admin password is written
    /// to the simple auth manager's passwords file. In a container: on port 8080 on all interfaces, an external binding,
    /// and the container writes the passwords file itself (<see cref="AirflowContainer.ApiServerStartScript"/>).
    /// </summary>
    private static IResourceBuilder<AirflowProcessResource> AddApiServer(this IResourceBuilder<AirflowResource> airflow, string name)
    {
        var resource = airflow.Resource;
        var api = airflow.AddProcess(new AirflowProcessResource(name, resource, AirflowRole.ApiServer))
            .WithHttpEndpoint(name: "http", targetPort: resource.TargetPort(AirflowContainer.ApiServerPort));
        if (resource.InContainers)
        {
            // The UI and REST API are what a deployment serves its users; they sign in with Airflow's tokens.
            api.WithExternalHttpEndpoints()
                .WithEnvironment(AirflowContainer.AdminPasswordVariable, resource.Secrets.AdminPassword);
        }
        // A callback, not WithArgs(params object[]): that form would record the process as referencing itself.
        api.WithArgs(context =>
            {
                if (resource.InContainers)
                {
                    AddAll(context, "python", "-c", AirflowContainer.ApiServerStartScript);
                }
                // In a container every interface; here loopback, or the address WithRemoteWorkers gave the endpoint.
                AddAll(context, "api-server", "--port", api.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort),
                    "--host", resource.InContainers ? resource.ListenAddress : EndpointBinding.BindAddress(api.Resource, "http"));
            })
            // One API worker is plenty on one machine (3.0.3 defaults to 4).
            .WithEnvironment("AIRFLOW__API__WORKERS", "1")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Airflow UI");

        api.OnBeforeResourceStarted(async (_, _, ct) =>
        {
            var password = await resource.Secrets.AdminPassword.GetValueAsync(ct).ConfigureAwait(false);
            Directory.CreateDirectory(resource.Paths.Home);
            await File.WriteAllTextAsync(resource.Paths.PasswordsFile,
                JsonSerializer.Serialize(new Dictionary<string, string?> { [AdminUser] = password }), ct).ConfigureAwait(false);
        });

        var key = $"{name}_monitor_health";
        airflow.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, sp => new AirflowApiHealthCheck(api.Resource.GetEndpoint("http")), failureStatus: null, tags: null));
        return api.WithHealthCheck(key);
    }

    /// <summary>
    /// A process of the deployment: the environment's <c>airflow</c>, the shared configuration, telemetry to the dashboard,
    /// and the shared waits (the migration waits for the environment and the broker; every other process for the migration too);
    /// published, a container of Airflow's image with the same arguments and configuration.
    /// </summary>
    internal static IResourceBuilder<T> AddProcess<T>(this IResourceBuilder<AirflowResource> airflow, T process) where T : AirflowProcessResource
    {
        var parent = airflow.Resource;
        var builder = airflow.ApplicationBuilder;
        parent.ProcessList.Add(process);
        var added = builder.AddPythonApp(process, builder.CreateResourceBuilder(parent.Environment))
            .WithParentRelationship(airflow)
            .WithEnvironment(context => AirflowEnvironment.Apply(parent, context))
            .WithOtlpExporter(OtlpProtocol.HttpProtobuf)
            .WithEnvironment(AirflowEnvironment.ApplyOpenTelemetryAsync)
            .WaitFor(builder.CreateResourceBuilder(parent.Broker.Resource));
        if (parent.InContainers)
        {
            added.WithManifestPublishingCallback(context => AirflowContainer.WriteManifestAsync(context, process));
        }
        // The migration is the first process: AddAirflow adds it before any other can be.
        return parent.Migration is { } migration ? added.WaitForCompletion(builder.CreateResourceBuilder(migration)) : added;
    }

    private static void AddAll(CommandLineArgsCallbackContext context, params object[] args)
    {
        foreach (var arg in args)
        {
            context.Args.Add(arg);
        }
    }
}
