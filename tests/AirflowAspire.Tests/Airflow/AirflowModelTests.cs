using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Python;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// What the AppHost asks each Airflow process to start with, every reference resolved.
/// </summary>
public sealed class AirflowModelTests
{
    private const string DragonflyPassword = "DragonflyPassw0rdForTests";
    private static readonly string[] Processes =
        ["airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker-1", "airflow-flower"];

    private static async Task<AppHostModel.App> BuildAsync(params string[] args)
    {
        var app = await AppHostModel.BuildAsync([$"--Parameters:dragonfly-password={DragonflyPassword}", .. args]);
        app.Resource<DragonflyResource>("dragonfly").AllocateEndpoint("tcp", 16379, targetPort: 6379);
        app.AllocateAllEndpoints();
        return app;
    }

    [Fact]
    public async Task Every_process_runs_the_environments_airflow_with_its_own_arguments()
    {
        await using var app = await BuildAsync();
        var root = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."));
        var airflow = Path.Combine(root, ".airflow", $"venv-airflow{AppHostModel.DefaultAirflowVersion}-py3.12", "bin", "airflow");

        var api = app.Resource<AirflowProcessResource>("airflow-api");
        var apiPort = await api.GetEndpoint("http").Property(EndpointProperty.TargetPort).GetValueAsync(TestContext.Current.CancellationToken);
        var flower = app.Resource<AirflowProcessResource>("airflow-flower");
        var flowerPort = await flower.GetEndpoint("http").Property(EndpointProperty.TargetPort).GetValueAsync(TestContext.Current.CancellationToken);

        Assert.All(Processes.Skip(1), name => Assert.Equal(airflow, app.Resource<AirflowProcessResource>(name).Command));
        // The migration is the environment's python running the AppHost's check, which runs `airflow db migrate` when the
        // database is not at head (tests/AirflowAspire.Tests/Airflow/MigrationCheckTests.cs).
        var migration = app.Resource<AirflowProcessResource>("airflow-migrate");
        Assert.Equal(Path.Combine(Path.GetDirectoryName(airflow)!, "python"), migration.Command);
        Assert.Equal([Path.Combine(AppHostModel.AppHostDirectory, "Airflow", "Python", "migrate_database.py")], await app.ArgumentsAsync(migration));
        Assert.Equal(["api-server", "--port", apiPort!, "--host", "127.0.0.1"], await app.ArgumentsAsync(api));
        Assert.Equal(["scheduler"], await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-scheduler")));
        Assert.Equal(["dag-processor"], await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-dag-processor")));
        Assert.Equal(["triggerer"], await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-triggerer")));
        Assert.Equal(["celery", "worker", "--queues", "default", "--concurrency", "4", "--celery-hostname", $"airflow-worker-1@{System.Net.Dns.GetHostName()}"],
            await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-worker-1")));
        Assert.Equal(["celery", "flower", "--hostname", "127.0.0.1", "--port", flowerPort!], await app.ArgumentsAsync(flower));
    }

    [Fact]
    public async Task Shared_configuration_resolves_to_the_same_values_in_every_process()
    {
        await using var app = await BuildAsync();
        var root = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."));
        var apiUrl = await app.Resource<AirflowProcessResource>("airflow-api").GetEndpoint("http").Property(EndpointProperty.Url).GetValueAsync(TestContext.Current.CancellationToken);

        var environments = new List<IReadOnlyDictionary<string, string>>();
        foreach (var name in Processes)
        {
            environments.Add(await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(name)));
        }

        foreach (var env in environments)
        {
            Assert.Equal(Path.Combine(root, ".airflow", "home"), env["AIRFLOW_HOME"]);
            Assert.Equal("CeleryExecutor", env["AIRFLOW__CORE__EXECUTOR"]);
            Assert.Equal(Path.Combine(root, "airflow", "dags"), env["AIRFLOW__CORE__DAGS_FOLDER"]);
            Assert.Equal("False", env["AIRFLOW__CORE__LOAD_EXAMPLES"]);
            Assert.Equal($"sqlite:///{Path.Combine(root, ".airflow", "home", "airflow.db")}", env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
            Assert.StartsWith("sqlite:////", env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]); // absolute, as Airflow requires
            Assert.Equal($"redis://:{DragonflyPassword}@localhost:16379/0", env["AIRFLOW__CELERY__BROKER_URL"]);
            Assert.Equal($"redis://:{DragonflyPassword}@localhost:16379/1", env["AIRFLOW__CELERY__RESULT_BACKEND"]);
            Assert.Equal($"{apiUrl}/execution/", env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]);
            Assert.Equal("admin:admin", env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]);
            Assert.Equal(Path.Combine(root, ".airflow", "home", "simple_auth_manager_passwords.json.generated"), env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]);
            Assert.Equal("5", env["AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"]);
            Assert.Equal("1", env["PYTHONUNBUFFERED"]);
        }

        // The secrets: present, identical in every process, and the Fernet key a valid one.
        foreach (var key in new[] { "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY" })
        {
            var values = environments.Select(env => env[key]).Distinct().ToList();
            Assert.Single(values);
            Assert.True(values[0].Length >= 32, $"{key} is too short to be a generated secret");
        }
        var fernet = Convert.FromBase64String(environments[0]["AIRFLOW__CORE__FERNET_KEY"].Replace('-', '+').Replace('_', '/'));
        Assert.Equal(32, fernet.Length);
        Assert.NotEqual(environments[0]["AIRFLOW__API_AUTH__JWT_SECRET"], environments[0]["AIRFLOW__API__SECRET_KEY"]);
    }

    [Fact]
    public async Task Secrets_are_secret_parameters_and_never_on_a_command_line()
    {
        await using var app = await BuildAsync();
        var parameters = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        var secrets = new List<string>();
        foreach (var name in new[] { "airflow-admin-password", "airflow-jwt-secret", "airflow-secret-key", "airflow-fernet-key", "dragonfly-password" })
        {
            Assert.True(parameters[name].Secret, $"{name} must be a secret parameter");
            secrets.Add((await parameters[name].GetValueAsync(TestContext.Current.CancellationToken))!);
        }

        foreach (var name in Processes)
        {
            var args = string.Join(' ', await app.ArgumentsAsync(app.Resource<AirflowProcessResource>(name)));
            Assert.DoesNotContain(secrets, args.Contains);
        }
    }

    [Fact]
    public async Task Ports_are_allocated_per_process_and_passed_as_Airflow_expects()
    {
        await using var app = await BuildAsync("--Airflow:Workers=2");
        var scheduler = app.Resource<AirflowProcessResource>("airflow-scheduler");
        var schedulerEnv = await app.EnvironmentAsync(scheduler);
        var triggerer = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-triggerer"));

        Assert.Equal("True", schedulerEnv["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"]);
        Assert.Equal(await scheduler.GetEndpoint("health").Property(EndpointProperty.TargetPort).GetValueAsync(TestContext.Current.CancellationToken),
            schedulerEnv["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]);
        Assert.True(int.TryParse(triggerer["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"], out _));
        // One log server per host: the first worker serves the shared log folder, the second would collide on its port.
        Assert.Equal(["celery", "worker", "--queues", "default", "--concurrency", "4", "--celery-hostname", $"airflow-worker-1@{System.Net.Dns.GetHostName()}"],
            await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-worker-1")));
        Assert.Equal(["celery", "worker", "--queues", "default", "--concurrency", "4", "--celery-hostname", $"airflow-worker-2@{System.Net.Dns.GetHostName()}",
            "--skip-serve-logs"], await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-worker-2")));
    }

    [Fact]
    public async Task Start_order_environment_then_migration_then_every_process_and_the_Verifier_at_once()
    {
        await using var app = await BuildAsync();
        var dragonfly = app.Resource<DragonflyResource>("dragonfly");
        var environment = app.Resource<PythonEnvironmentResource>("airflow-env");
        var migrate = app.Resource<AirflowProcessResource>("airflow-migrate");
        var api = app.Resource<AirflowProcessResource>("airflow-api");

        Assert.True(Waits(migrate, environment, WaitType.WaitForCompletion));
        Assert.True(Waits(migrate, dragonfly, WaitType.WaitUntilHealthy));
        foreach (var name in Processes.Skip(1))
        {
            var process = app.Resource<AirflowProcessResource>(name);
            Assert.True(Waits(process, environment, WaitType.WaitForCompletion), $"{name} must wait for the environment");
            Assert.True(Waits(process, migrate, WaitType.WaitForCompletion), $"{name} must wait for the migration");
            Assert.True(Waits(process, dragonfly, WaitType.WaitUntilHealthy), $"{name} must wait for Dragonfly");
        }
        // No process waits for another's health once the migration is done: the workers need the api-server only to run a
        // task, and the Verifier polls every step with a bound (issue 23: three serial phases removed).
        Assert.All(Processes.Skip(1), name => Assert.DoesNotContain(app.Resource<AirflowProcessResource>(name).Annotations.OfType<WaitAnnotation>(),
            wait => wait.Resource is AirflowProcessResource { Role: not AirflowRole.Migration }));
        var verifier = app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier");
        Assert.True(Waits(verifier, migrate, WaitType.WaitForCompletion) && Waits(verifier, dragonfly, WaitType.WaitUntilHealthy));
        Assert.False(Waits(verifier, api, WaitType.WaitUntilHealthy));
        Assert.False(Waits(verifier, app.Resource<AirflowProcessResource>("airflow-worker-1"), WaitType.WaitUntilHealthy));
    }

    [Fact]
    public async Task Health_checks_and_dashboard_links()
    {
        await using var app = await BuildAsync();

        Assert.Equal("airflow-api_monitor_health", app.Resource<AirflowProcessResource>("airflow-api").Annotations.OfType<HealthCheckAnnotation>().Single().Key);
        Assert.Single(app.Resource<AirflowProcessResource>("airflow-scheduler").Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains(app.Resource<AirflowProcessResource>("airflow-flower").Annotations, a => a is ExplicitStartupAnnotation);
        // Each worker is checked by a Celery ping addressed to its own node name.
        Assert.Equal("airflow-worker-1_celery_ping", app.Resource<AirflowProcessResource>("airflow-worker-1").Annotations.OfType<HealthCheckAnnotation>().Single().Key);
        Assert.IsType<AirflowAspire.AppHost.Airflow.CeleryWorkerHealthCheck>(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckServiceOptions>>()
            .Value.Registrations.Single(r => r.Name == "airflow-worker-1_celery_ping").Factory(app.Services));
        Assert.Equal("http", app.Resource<AirflowProcessResource>("airflow-api").GetEndpoint("http").Scheme);
    }

    [Fact]
    public async Task Admin_password_is_written_to_the_passwords_file_before_the_api_server_starts()
    {
        using var home = new TemporaryFolder();
        await using var app = await BuildAsync($"--Airflow:Home={home.Path}/home", "--Parameters:airflow-admin-password=Adm1nPasswordForTests");
        var api = app.Resource<AirflowProcessResource>("airflow-api");
        // Aspire's own handler of this event waits for the api-server's dependencies, which never run here.
        foreach (var wait in api.Annotations.OfType<WaitAnnotation>().ToList())
        {
            api.Annotations.Remove(wait);
        }

        await app.Services.GetRequiredService<Aspire.Hosting.Eventing.IDistributedApplicationEventing>()
            .PublishAsync(new BeforeResourceStartedEvent(api, app.Services), TestContext.Current.CancellationToken);

        var file = Path.Combine(home.Path, "home", "simple_auth_manager_passwords.json.generated");
        Assert.Equal("""{"admin":"Adm1nPasswordForTests"}""", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        Assert.Equal(file, (await app.EnvironmentAsync(api))["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]);
    }

    [Fact]
    public async Task Home_and_dags_folder_settings_move_airflow_home_the_database_and_the_dags()
    {
        using var folder = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "dags"));
        await using var app = await BuildAsync($"--Airflow:Home={folder.Path}/home", $"--Airflow:DagsFolder={folder.Path}/dags");

        var worker = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-worker-1"));
        Assert.Equal(Path.Combine(folder.Path, "home"), worker["AIRFLOW_HOME"]);
        Assert.Equal(Path.Combine(folder.Path, "dags"), worker["AIRFLOW__CORE__DAGS_FOLDER"]);
        Assert.Equal($"sqlite:///{folder.Path}/home/airflow.db", worker["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
    }

    [Fact]
    public async Task Verifier_finds_the_api_server_and_the_broker_by_reference_and_gets_the_password_as_an_environment_variable()
    {
        await using var app = await BuildAsync("--Parameters:airflow-admin-password=Adm1nPasswordForTests", "--Airflow:Queues=default,etl");
        var verifier = app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier");
        var api = app.Resource<AirflowProcessResource>("airflow-api");
        var apiUrl = await api.GetEndpoint("http").Property(EndpointProperty.Url).GetValueAsync(TestContext.Current.CancellationToken);

        var env = await app.EnvironmentAsync(verifier);

        Assert.Equal("http://airflow-api", env["Verifier__AirflowUrl"]);
        Assert.Equal(apiUrl, env["services__airflow-api__http__0"]);
        Assert.Equal($"localhost:16379,password={DragonflyPassword}", env["ConnectionStrings__broker"]);
        Assert.False(env.ContainsKey("ConnectionStrings__dragonfly"));
        Assert.Equal("admin", env["Verifier__Username"]);
        Assert.Equal("Adm1nPasswordForTests", env["Verifier__Password"]);
        Assert.Equal("default,etl", env["Verifier__Queues"]);
        Assert.EndsWith(Path.Combine(".airflow", "verifier-report.json"), env["Verifier__ReportPath"]);
        Assert.DoesNotContain(await app.ArgumentsAsync(verifier), arg => arg.Contains("Adm1nPasswordForTests"));
        // On the deployment's row, where a user looks for the verdict, not on the api-server's.
        Assert.Contains(app.Resource<AirflowResource>("airflow").Annotations.OfType<ResourceCommandAnnotation>(),
            c => c.Name == VerifierBuilderExtensions.VerifyCommand && c.DisplayName == "Verify");
        Assert.DoesNotContain(api.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == VerifierBuilderExtensions.VerifyCommand);
    }

    [Fact]
    public async Task Verifier_starts_from_its_build_output_not_through_dotnet_run_with_telemetry_to_the_dashboard()
    {
        await using var app = await BuildAsync($"--{OtlpHttpSetting}=http://localhost:19080");
        var verifier = app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier");

        // `dotnet run --project` spent 6 to 7 s of a core evaluating the project at each start, before the Verifier ran.
        var program = Assert.Single(await app.ArgumentsAsync(verifier));
        Assert.Equal(AppHostModel.VerifierDll, program);
        Assert.True(File.Exists(program), program);
        Assert.Equal(Path.GetDirectoryName(AirflowAspire.AppHost.Verifier.VerifierResource.ProjectPath), verifier.WorkingDirectory);
        var env = await app.EnvironmentAsync(verifier);
        // The service name is DCP's to fill in at start, as for a project.
        Assert.True(env.ContainsKey("OTEL_SERVICE_NAME") && env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT") && env.ContainsKey("OTEL_EXPORTER_OTLP_HEADERS"));
        Assert.True(env.ContainsKey("DOTNET_ENVIRONMENT"));
    }

    [Fact]
    public async Task Verifier_gets_the_DAG_the_Celery_URLs_Airflow_gets_and_the_names_its_messages_point_at()
    {
        await using var app = await BuildAsync();
        var verifier = app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier");

        var env = await app.EnvironmentAsync(verifier);
        var worker = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-worker-1"));

        Assert.Equal((VerificationDag.Id, VerificationDag.ExpectedOutput), (env["Verifier__DagId"], env["Verifier__ExpectedOutput"]));
        // The same URLs as every Airflow process, password included: the Verifier inspects the databases Celery uses.
        Assert.Equal($"redis://:{DragonflyPassword}@localhost:16379/0", env["Verifier__BrokerUrl"]);
        Assert.Equal(worker["AIRFLOW__CELERY__BROKER_URL"], env["Verifier__BrokerUrl"]);
        Assert.Equal(worker["AIRFLOW__CELERY__RESULT_BACKEND"], env["Verifier__ResultBackendUrl"]);
        Assert.EndsWith("/1", env["Verifier__ResultBackendUrl"]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Verifier__Resources__Migration"] = "airflow-migrate",
            ["Verifier__Resources__ApiServer"] = "airflow-api",
            ["Verifier__Resources__Scheduler"] = "airflow-scheduler",
            ["Verifier__Resources__DagProcessor"] = "airflow-dag-processor",
            ["Verifier__Resources__Triggerer"] = "airflow-triggerer",
            ["Verifier__Resources__Workers"] = "airflow-worker-1",
            ["Verifier__Resources__Broker"] = "dragonfly",
            ["Verifier__Resources__AdminPasswordParameter"] = "airflow-admin-password",
            ["Verifier__Resources__JwtSecretParameter"] = "airflow-jwt-secret",
        }, env.Where(e => e.Key.StartsWith("Verifier__Resources__", StringComparison.Ordinal)).ToDictionary());
    }

    [Fact]
    public async Task Verifier_is_told_every_worker_and_that_there_is_no_triggerer()
    {
        await using var app = await BuildAsync("--Airflow:Workers=3", "--Airflow:Triggerer=false");

        var env = await app.EnvironmentAsync(app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier"));

        Assert.Equal("airflow-worker-1,airflow-worker-2,airflow-worker-3", env["Verifier__Resources__Workers"]);
        Assert.Equal("", env["Verifier__Resources__Triggerer"]);
        Assert.Equal("airflow-scheduler", env["Verifier__Resources__Scheduler"]);
    }

    [Fact]
    public async Task Relative_paths_in_settings_start_at_the_repository_top_not_the_working_directory()
    {
        // `dotnet run --project AppHost` runs the AppHost in AppHost/, but users type paths from the top.
        var root = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."));
        await using var app = await BuildAsync("--Airflow:DagsFolder=airflow/dags", "--Airflow:Home=.airflow/other-home");

        var worker = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-worker-1"));

        Assert.Equal(Path.Combine(root, "airflow", "dags"), worker["AIRFLOW__CORE__DAGS_FOLDER"]);
        Assert.Equal(Path.Combine(root, ".airflow", "other-home"), worker["AIRFLOW_HOME"]);
    }

    [Fact]
    public async Task Triggerer_setting_off_leaves_it_out()
    {
        await using var app = await BuildAsync("--Airflow:Triggerer=false");

        Assert.DoesNotContain(app.Services.GetRequiredService<DistributedApplicationModel>().Resources, r => r.Name == "airflow-triggerer");
    }

    [Fact]
    public async Task Postgres_setting_adds_a_database_container_and_the_postgres_extra()
    {
        await using var app = await BuildAsync("--Airflow:Database=postgres");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        model.Resources.OfType<PostgresServerResource>().Single().AllocateEndpoint("tcp", 15432, targetPort: 5432);

        var env = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-scheduler"));
        var install = await app.ArgumentsAsync(app.Resource<PythonEnvironmentResource>("airflow-env"));

        Assert.Matches(@"^postgresql\+psycopg2://postgres:[^@]+@localhost:15432/airflow$", env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
        Assert.Contains($"apache-airflow[celery,postgres]=={AppHostModel.DefaultAirflowVersion}", install);
        Assert.True(Waits(app.Resource<AirflowProcessResource>("airflow-migrate"), model.Resources.OfType<PostgresDatabaseResource>().Single(), WaitType.WaitUntilHealthy));
    }

    [Fact]
    public async Task Environment_step_installs_the_pinned_requirement_with_Airflows_constraints()
    {
        await using var app = await BuildAsync();
        var install = (await app.ArgumentsAsync(app.Resource<PythonEnvironmentResource>("airflow-env"))).ToList();

        Assert.Contains("--requirement", install);
        var version = AppHostModel.DefaultAirflowVersion;
        Assert.Equal($"apache-airflow[celery]=={version}", install[install.IndexOf("--requirement") + 1]);
        Assert.Equal($"https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-3.12.txt", install[install.IndexOf("--constraint") + 1]);
        // The Celery provider whose workers, named with --celery-hostname, never run tasks (apache/airflow#59707) is kept out,
        // with the companion the fixed release needs newer.
        Assert.Equal("apache-airflow-providers-celery>=3.14.0,<3.19.0", install[install.IndexOf("--avoid") + 1]);
        Assert.Equal("apache-airflow-providers-common-compat", install[install.IndexOf("--avoid-companion") + 1]);
        Assert.Equal("3.12", install[install.IndexOf("--python-version") + 1]);
    }

    [Fact]
    public async Task Every_AIRFLOW_variable_is_a_key_of_Airflows_config_yml_or_the_Celery_providers_provider_yaml()
    {
        var known = AirflowReference.ConfigKeys("3.0");
        Assert.Contains(("celery", "broker_url"), known); // the reader sees provider.yaml's nested sections
        await using var app = await BuildAsync("--Airflow:Workers=2", $"--{OtlpHttpSetting}=http://localhost:19080");

        var unknown = new SortedSet<string>();
        foreach (var process in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<AirflowProcessResource>())
        {
            foreach (var name in (await app.EnvironmentAsync(process)).Keys.Where(k => k.StartsWith("AIRFLOW__", StringComparison.Ordinal)))
            {
                var parts = name["AIRFLOW__".Length..].Split("__");
                if (parts.Length != 2 || !known.Contains((parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant())))
                {
                    unknown.Add(name);
                }
            }
        }
        Assert.Empty(unknown);
    }

    [Fact]
    public async Task What_has_no_authentication_listens_on_loopback_and_every_process_has_the_hosts_log_server_ports_as_numbers()
    {
        await using var app = await BuildAsync("--Airflow:Workers=2");

        var scheduler = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-scheduler"));
        Assert.Equal("127.0.0.1", scheduler["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"]);
        var flower = (await app.ArgumentsAsync(app.Resource<AirflowProcessResource>("airflow-flower"))).ToList();
        Assert.Equal("127.0.0.1", flower[flower.IndexOf("--hostname") + 1]);
        // A running task's log is fetched at the api-server's own [logging] worker_log_server_port, where the first worker serves
        // this host's log folder; a deferred task's at its triggerer_log_server_port, where the triggerer serves. The values are
        // numbers the AppHost chose, never an endpoint expression of another process (which the orchestrator cannot resolve in
        // this one's environment: it left the api-server `{{- portForServing "airflow-worker-1" -}}`).
        var environments = new List<IReadOnlyDictionary<string, string>>();
        foreach (var process in Processes)
        {
            environments.Add(await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(process)));
        }
        var api = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-api"));
        Assert.True(int.TryParse(api["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], out _), api["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]);
        Assert.All(environments, env => Assert.Equal(api["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]));
        Assert.All(environments, env => Assert.Equal(api["AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT"], env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]));
        Assert.True(int.TryParse(api["AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT"], out _));
    }

    private const string OtlpHttpSetting = "ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL";

    [Fact]
    public async Task OpenTelemetry_goes_to_the_dashboards_OTLP_HTTP_endpoint_as_host_and_port()
    {
        // AppHost:OtlpApiKey is the key the dashboard demands, which `dotnet run` generates.
        await using var app = await BuildAsync($"--{OtlpHttpSetting}=http://localhost:19080", "--AppHost:OtlpApiKey=the-dashboards-key");

        var env = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-scheduler"));

        foreach (var section in new[] { "METRICS", "TRACES" })
        {
            Assert.Equal("True", env[$"AIRFLOW__{section}__OTEL_ON"]);
            Assert.Equal("localhost", env[$"AIRFLOW__{section}__OTEL_HOST"]);
            Assert.Equal("19080", env[$"AIRFLOW__{section}__OTEL_PORT"]);
            Assert.Equal("False", env[$"AIRFLOW__{section}__OTEL_SSL_ACTIVE"]);
            Assert.Equal("airflow-scheduler", env[$"AIRFLOW__{section}__OTEL_SERVICE"]);
        }
        // The dashboard refuses OTLP without its key (401): Airflow 3.0 passes no headers of its own, so the SDK sends these.
        Assert.Equal("http/protobuf", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("x-otlp-api-key=the-dashboards-key", env["OTEL_EXPORTER_OTLP_HEADERS"]);
        Assert.Contains("service.instance.id=", env["OTEL_RESOURCE_ATTRIBUTES"]);
    }

    /// <summary>
    /// Airflow's processes fork after their telemetry started, and the SDK's exporters keep one keep-alive connection
    /// that a child inherits (open-telemetry/opentelemetry-python#4994): each export asks for a connection of its own. The
    /// SDK reads the signal-specific variables instead of the common one, so they carry the dashboard's key too.
    /// </summary>
    [Fact]
    public async Task Each_export_of_Airflows_telemetry_asks_for_a_connection_of_its_own()
    {
        await using var app = await BuildAsync($"--{OtlpHttpSetting}=http://localhost:19080", "--AppHost:OtlpApiKey=the-dashboards-key");

        var processes = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<AirflowProcessResource>().ToList();
        Assert.NotEmpty(processes);
        foreach (var process in processes)
        {
            var env = await app.EnvironmentAsync(process);
            Assert.Equal("x-otlp-api-key=the-dashboards-key,connection=close", env["OTEL_EXPORTER_OTLP_METRICS_HEADERS"]);
            Assert.Equal("x-otlp-api-key=the-dashboards-key,connection=close", env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"]);
            Assert.Equal("x-otlp-api-key=the-dashboards-key", env["OTEL_EXPORTER_OTLP_HEADERS"]);
        }
    }

    /// <summary>
    /// On the 3.0 line the dag-processor tags two metrics with objects OTLP cannot encode, a traceback in its log at every
    /// export (tests/.../StandIn/DagFileMetricTagsTests.cs): with telemetry on, those two metrics are blocked there, and
    /// nowhere else.
    /// </summary>
    [Theory]
    [InlineData("3.0.3", true)]
    [InlineData("3.3.2", false)]
    public async Task On_30_the_dag_processors_metrics_tagged_with_file_objects_are_blocked(string version, bool blocked)
    {
        await using var app = await BuildAsync($"--Airflow:Version={version}", "--Airflow:PythonVersion=3.12",
            $"--{OtlpHttpSetting}=http://localhost:19080", "--AppHost:OtlpApiKey=the-dashboards-key");

        foreach (var process in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<AirflowProcessResource>())
        {
            var env = await app.EnvironmentAsync(process);
            var expected = blocked && process.Role == AirflowRole.DagProcessor ? AirflowLine.DagFileObjectMetrics : null;
            Assert.Equal(expected, env.GetValueOrDefault("AIRFLOW__METRICS__METRICS_BLOCK_LIST"));
        }
    }

    private static bool Waits(IResource resource, IResource on, WaitType type)
        => resource.Annotations.OfType<WaitAnnotation>().Any(w => w.Resource == on && w.WaitType == type);
}
