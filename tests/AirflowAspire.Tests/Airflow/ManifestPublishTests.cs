using System.Diagnostics;
using System.Text.Json.Nodes;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.Tests.Fixtures;
using Aspire.Hosting.Eventing;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// The manifest <c>--operation publish --publisher manifest</c> writes for a cluster, made in process by the AppHost's own
/// entry point (<see cref="AppHostManifest"/>): Airflow's processes as containers of its official image, the configuration of
/// run mode with the image's paths, the secrets as parameters, nothing of this machine; and what cannot be published refused.
/// </summary>
public sealed class ManifestPublishTests(ManifestPublishTests.Published published) : IClassFixture<ManifestPublishTests.Published>
{
    /// <summary>The settings the shared manifest is published with: PostgreSQL (required) and two workers.</summary>
    private static readonly string[] Settings = ["--Airflow:Database=postgres", "--Airflow:Workers=2"];

    private static readonly string[] Workers = ["airflow-worker-1", "airflow-worker-2"];

    private static readonly string[] Processes =
        ["airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", .. Workers, "airflow-flower"];

    private static readonly string[] Secrets =
        ["airflow-admin-password", "airflow-jwt-secret", "airflow-secret-key", "airflow-fernet-key", "dragonfly-password", "airflow-postgres-password"];

    /// <summary>The manifest published once with <see cref="Settings"/>, shared by the tests that only read it.</summary>
    public sealed class Published : IAsyncLifetime
    {
        /// <summary>Its <c>resources</c>.</summary>
        public JsonObject Resources { get; private set; } = null!;

        /// <inheritdoc />
        public async ValueTask InitializeAsync() => Resources = await AppHostManifest.PublishAsync(Settings);

        /// <inheritdoc />
        public ValueTask DisposeAsync() => default;
    }

    private JsonObject Resource(string name)
        => published.Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"The manifest has no entry '{name}'.");

    private static IReadOnlyList<string> Args(JsonObject resource) => resource["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();

    private static IReadOnlyDictionary<string, string> Env(JsonObject resource)
        => resource["env"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());

    [Fact]
    public void Every_Airflow_process_is_a_container_of_Airflows_official_image_at_the_version_pinned_in_appsettings()
    {
        var appsettings = JsonNode.Parse(File.ReadAllText(Path.Combine(AppHostModel.AppHostDirectory, "appsettings.json")))!;
        var version = appsettings["Airflow"]!["Version"]!.GetValue<string>();

        Assert.All(Processes, name =>
        {
            Assert.Equal("container.v0", Resource(name)["type"]!.GetValue<string>());
            Assert.Equal($"apache/airflow:{version}", Resource(name)["image"]!.GetValue<string>());
        });
    }

    [Fact]
    public void Each_container_runs_its_airflow_subcommand_as_in_run_mode_bound_to_all_interfaces()
    {
        Assert.Equal(["db", "migrate"], Args(Resource("airflow-migrate")));
        Assert.Equal(["scheduler"], Args(Resource("airflow-scheduler")));
        Assert.Equal(["dag-processor"], Args(Resource("airflow-dag-processor")));
        Assert.Equal(["triggerer"], Args(Resource("airflow-triggerer")));
        foreach (var worker in Workers)
        {
            // Celery expands %h to the container's host name: the node name stays unique across containers and replicas.
            Assert.Equal(["celery", "worker", "--queues", "default", "--concurrency", "4", "--celery-hostname", $"{worker}@%h"], Args(Resource(worker)));
        }
        Assert.Equal(["celery", "flower", "--hostname", "0.0.0.0", "--port", "{airflow-flower.bindings.http.targetPort}"], Args(Resource("airflow-flower")));

        // The api-server's container first writes the passwords file (AirflowContainer.ApiServerStartScript), then becomes
        // `airflow api-server ...` with the arguments of run mode, on all interfaces.
        var api = Args(Resource("airflow-api"));
        Assert.Equal(["python", "-c", AirflowContainer.ApiServerStartScript], api.Take(3));
        Assert.Equal(["api-server", "--port", "{airflow-api.bindings.http.targetPort}", "--host", "0.0.0.0"], api.Skip(3));
    }

    [Fact]
    public void Servers_take_Airflows_default_ports_and_only_the_api_server_is_exposed_outside_the_deployment()
    {
        JsonObject Binding(string resource, string name) => Resource(resource)["bindings"]![name]!.AsObject();

        var api = Binding("airflow-api", "http");
        Assert.Equal((8080, "http", true), (api["targetPort"]!.GetValue<int>(), api["scheme"]!.GetValue<string>(), api["external"]!.GetValue<bool>()));
        Assert.Equal(8974, Binding("airflow-scheduler", "health")["targetPort"]!.GetValue<int>());
        Assert.Equal(8794, Binding("airflow-triggerer", "logs")["targetPort"]!.GetValue<int>());
        Assert.All(Workers, worker => Assert.Equal(8793, Binding(worker, "logs")["targetPort"]!.GetValue<int>()));
        Assert.Equal(5555, Binding("airflow-flower", "http")["targetPort"]!.GetValue<int>());

        var unexposed = Processes.Where(p => Resource(p)["bindings"] is JsonObject).Except(["airflow-api"])
            .SelectMany(p => Resource(p)["bindings"]!.AsObject().Select(b => (p, b.Key, External: b.Value!["external"]?.GetValue<bool>() ?? false)));
        Assert.All(unexposed, binding => Assert.False(binding.External, $"{binding.p}'s {binding.Key} binding must not be external"));

        var scheduler = Env(Resource("airflow-scheduler"));
        Assert.Equal("0.0.0.0", scheduler["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"]);
        Assert.Equal("{airflow-scheduler.bindings.health.targetPort}", scheduler["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]);
        // Each container is a host of its own: every worker serves its logs on Airflow's default port, where the api-server reads them.
        Assert.All([.. Workers, "airflow-api"], process => Assert.Equal("8793", Env(Resource(process))["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]));
        Assert.All(Workers, worker => Assert.DoesNotContain("--skip-serve-logs", Resource(worker)["args"]!.AsArray().Select(a => a!.ToString())));
    }

    [Fact]
    public async Task Every_container_gets_the_AIRFLOW_configuration_of_run_mode_with_the_images_paths()
    {
        // Run mode, same settings: the keys each process gets there, from the one AirflowEnvironment.Apply.
        await using var app = await AppHostModel.BuildAsync(Settings);
        app.AllocateAllEndpoints();
        foreach (var name in Processes)
        {
            var run = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(name));
            var env = Env(Resource(name));
            // Telemetry goes to the dashboard of run mode; published there is none (see the telemetry test).
            static bool Configuration(string key) => (key.StartsWith("AIRFLOW__", StringComparison.Ordinal) || key == "AIRFLOW_HOME")
                && !key.StartsWith("AIRFLOW__METRICS__", StringComparison.Ordinal) && !key.StartsWith("AIRFLOW__TRACES__", StringComparison.Ordinal);
            Assert.Equal(run.Keys.Where(Configuration).Order(), env.Keys.Where(Configuration).Order());

            Assert.Equal("/opt/airflow", env["AIRFLOW_HOME"]);
            Assert.Equal("/opt/airflow/dags", env["AIRFLOW__CORE__DAGS_FOLDER"]);
            Assert.Equal("/opt/airflow/simple_auth_manager_passwords.json.generated", env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]);
            Assert.Equal("CeleryExecutor", env["AIRFLOW__CORE__EXECUTOR"]);
            Assert.Equal("admin:admin", env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]);
            Assert.Equal("False", env["AIRFLOW__CORE__LOAD_EXAMPLES"]);
        }
    }

    [Fact]
    public void The_metadata_database_broker_api_server_and_secrets_are_references_for_the_deployment_tool_to_fill()
    {
        Assert.All(Processes, name =>
        {
            var env = Env(Resource(name));
            Assert.Equal("postgresql+psycopg2://postgres:{airflow-postgres-password-uri-encoded.value}@{airflow-postgres.bindings.tcp.host}:{airflow-postgres.bindings.tcp.port}/airflow",
                env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
            Assert.Equal("redis://:{dragonfly-password-uri-encoded.value}@{dragonfly.bindings.tcp.host}:{dragonfly.bindings.tcp.port}/0", env["AIRFLOW__CELERY__BROKER_URL"]);
            Assert.Equal("redis://:{dragonfly-password-uri-encoded.value}@{dragonfly.bindings.tcp.host}:{dragonfly.bindings.tcp.port}/1", env["AIRFLOW__CELERY__RESULT_BACKEND"]);
            Assert.Equal("{airflow-api.bindings.http.url}/execution/", env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]);
            Assert.Equal("{airflow-jwt-secret.value}", env["AIRFLOW__API_AUTH__JWT_SECRET"]);
            Assert.Equal("{airflow-secret-key.value}", env["AIRFLOW__API__SECRET_KEY"]);
            Assert.Equal("{airflow-fernet-key.value}", env["AIRFLOW__CORE__FERNET_KEY"]);
        });
        Assert.Equal("{dragonfly-password.value}", Resource("dragonfly-password-uri-encoded")["value"]!.GetValue<string>());
        Assert.Equal("uri", Resource("dragonfly-password-uri-encoded")["filter"]!.GetValue<string>());
        // The admin password reaches only the api-server's start script, in its environment.
        Assert.Equal("{airflow-admin-password.value}", Env(Resource("airflow-api"))[AirflowContainer.AdminPasswordVariable]);
        Assert.All(Processes.Except(["airflow-api"]), name => Assert.DoesNotContain(AirflowContainer.AdminPasswordVariable, Env(Resource(name)).Keys));
    }

    [Fact]
    public void Secrets_are_secret_parameters_generated_by_the_tool_except_the_Fernet_key_it_asks_for_and_never_arguments()
    {
        foreach (var name in Secrets)
        {
            var parameter = Resource(name);
            Assert.Equal("parameter.v0", parameter["type"]!.GetValue<string>());
            Assert.True(parameter["inputs"]!["value"]!["secret"]!.GetValue<bool>(), $"{name} must be secret");
            if (name == "airflow-fernet-key")
            {
                // A generated alphanumeric string is no Fernet key: no default, the tool asks for it.
                Assert.Null(parameter["inputs"]!["value"]!["default"]);
            }
            else
            {
                Assert.True(parameter["inputs"]!["value"]!["default"]!["generate"]!["minLength"]!.GetValue<int>() >= 22, $"{name} must be generated");
            }
        }

        var arguments = published.Resources.Select(r => r.Value!["args"]).OfType<JsonArray>().SelectMany(AppHostManifest.Strings).ToList();
        Assert.All(Secrets, secret => Assert.DoesNotContain(arguments, a => a.Contains($"{{{secret}.", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_DAGs_and_the_logs_are_named_volumes_at_the_images_folders_on_every_Airflow_container()
    {
        Assert.All(Processes, name =>
        {
            var volumes = Resource(name)["volumes"]!.AsArray().Select(v => (
                v!["name"]!.GetValue<string>(), v["target"]!.GetValue<string>(), v["readOnly"]!.GetValue<bool>())).ToList();
            Assert.Equal([("airflow-dags", "/opt/airflow/dags", true), ("airflow-logs", "/opt/airflow/logs", false)], volumes);
            Assert.Null(Resource(name)["bindMounts"]);
        });
    }

    [Fact]
    public void Only_what_runs_on_a_cluster_is_written_the_environment_step_the_deployment_and_the_Verifier_are_left_out()
    {
        string[] expected = [.. Processes, .. Secrets, "dragonfly", "airflow-postgres", "airflow-db", "dragonfly-password-uri-encoded", "airflow-postgres-password-uri-encoded"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), published.Resources.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(published.Resources, r => r.Value!["error"] is not null);
        Assert.Equal("container.v0", Resource("dragonfly")["type"]!.GetValue<string>());
        Assert.StartsWith("docker.dragonflydb.io/dragonflydb/dragonfly:", Resource("dragonfly")["image"]!.GetValue<string>());
    }

    [Fact]
    public void PostgreSQL_creates_the_metadata_database_itself_and_keeps_it_in_a_named_volume()
    {
        var postgres = Resource("airflow-postgres");
        Assert.Equal("airflow", Env(postgres)["POSTGRES_DB"]);
        Assert.Contains(postgres["volumes"]!.AsArray(), v => v!["name"]!.GetValue<string>() == "airflow-postgres-data");
    }

    [Fact]
    public void Telemetry_of_run_mode_writes_nothing_into_the_manifest()
    {
        Assert.All(Processes, name => Assert.DoesNotContain(Env(Resource(name)).Keys, key =>
            key.StartsWith("OTEL_", StringComparison.Ordinal) || key.StartsWith("AIRFLOW__METRICS__", StringComparison.Ordinal)
            || key.StartsWith("AIRFLOW__TRACES__", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_path_of_this_machine_reaches_the_manifest_even_with_Airflow_Home_and_DagsFolder_set()
    {
        using var local = new TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(local.Path, "dags"));
        var resources = await AppHostManifest.PublishAsync([.. Settings,
            $"--Airflow:Home={Path.Combine(local.Path, "home")}", $"--Airflow:DagsFolder={Path.Combine(local.Path, "dags")}"]);

        var repository = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, ".."));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] localPaths = [repository, repository.TrimStart('/'), local.Path, Path.GetTempPath().TrimEnd('/'), "/tmp", home, ".airflow", "venv"];
        var strings = AppHostManifest.Strings(resources).ToList();
        Assert.NotEmpty(strings);
        Assert.All(localPaths.Where(p => p.Length > 1), path => Assert.DoesNotContain(strings, s => s.Contains(path, StringComparison.Ordinal)));
        Assert.Equal("/opt/airflow/dags", resources["airflow-worker-1"]!["env"]!["AIRFLOW__CORE__DAGS_FOLDER"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_Redis_as_the_broker_the_Redis_container_is_published_and_every_process_points_at_it()
    {
        var resources = await AppHostManifest.PublishAsync([.. Settings, "--Airflow:Broker=redis"]);

        Assert.Equal("container.v0", resources["redis"]!["type"]!.GetValue<string>());
        Assert.Null(resources["dragonfly"]);
        Assert.All(Processes, name => Assert.Equal("redis://:{redis-password-uri-encoded.value}@{redis.bindings.tcp.host}:{redis.bindings.tcp.port}/0",
            resources[name]!["env"]!["AIRFLOW__CELERY__BROKER_URL"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("", "Airflow:Database", "--Airflow:Database=postgres")]
    [InlineData("--Dragonfly:Executable=STANDIN", "Dragonfly:Executable", "--Dragonfly:Executable=")]
    [InlineData("--Redis:Executable=STANDIN", "Redis:Executable", "--Redis:Executable=")]
    [InlineData("--Benchmark:Brokers=dragonfly,redis", "Benchmark:Brokers", "publish without it")]
    // A user's project files: a manifest must not quietly lack them.
    [InlineData("--Airflow:Requirements=tests/SampleProject/requirements.txt", "Airflow:Requirements", "into your Airflow image")]
    [InlineData("--Airflow:PluginsFolder=tests/SampleProject/plugins", "Airflow:PluginsFolder", "/opt/airflow/plugins")]
    [InlineData("--Airflow:Connections=tests/SampleProject/connections.json", "Airflow:Connections", "secrets backend")]
    [InlineData("--Airflow:Variables=tests/SampleProject/variables.json", "Airflow:Variables", "secrets backend")]
    [InlineData("--Airflow:Pools=tests/SampleProject/pools.json", "Airflow:Pools", "airflow pools import")]
    public async Task What_only_runs_on_this_machine_is_refused_naming_the_setting_and_the_fix(string argument, string setting, string fix)
    {
        // SQLite is the default: every other case publishes with PostgreSQL, so only its own setting is wrong.
        string[] args = argument.Length == 0 ? [] : ["--Airflow:Database=postgres", argument.Replace("STANDIN", AppHostModel.DragonflyStandIn)];

        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostManifest.PublishAsync(args));

        var invalid = Assert.IsType<InvalidSettingException>(exception.GetBaseException());
        Assert.Equal(setting, invalid.Setting);
        Assert.Contains("when publishing", invalid.Message);
        Assert.Contains(fix, invalid.Message);
    }

    [Fact]
    public async Task A_workers_only_host_is_refused_as_a_cluster_runs_every_worker_from_the_manifest()
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostManifest.PublishAsync(
            ["--Airflow:Database=postgres", "--Airflow:Role=workers", "--Airflow:Join=/nonexistent/join.json"]));

        var invalid = Assert.IsType<InvalidSettingException>(exception.GetBaseException());
        Assert.Equal("Airflow:Role", invalid.Setting);
        Assert.Contains("every worker is a container of the manifest", invalid.Message);
    }

    [Fact]
    public async Task A_deployment_published_without_PostgreSQL_is_refused_before_the_manifest_is_written()
    {
        using var output = new TemporaryFolder();
        var builder = BareBuilder.Create(AppHostManifest.PublishArguments(output.Path));
        var dragonfly = builder.AddDragonfly("broker");
        var airflow = builder.AddAirflow("af", dragonfly, new AirflowSettings { Version = "3.0.3", PythonVersion = "3.12" });
        airflow.AddScheduler("s");
        airflow.AddDagProcessor("d");
        airflow.AddCeleryWorkers("w", 1, ["default"], 1);
        using var app = builder.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.Services.GetRequiredService<IDistributedApplicationEventing>()
            .PublishAsync(new BeforeStartEvent(app.Services, app.Services.GetRequiredService<DistributedApplicationModel>()), TestContext.Current.CancellationToken));

        Assert.Contains("SQLite", error.Message);
        Assert.Contains("WithPostgresMetadataDatabase", error.Message);
        Assert.True(airflow.Resource.InContainers);
    }

    [Fact]
    public async Task The_api_servers_start_script_writes_the_passwords_file_and_hands_over_to_airflow_without_the_password()
    {
        if (OperatingSystem.IsWindows() || PythonOnPath.Version() is null)
        {
            Assert.Skip("python3 on a Unix PATH is needed to run the api-server's start script as the image does.");
            return;
        }
        using var folder = new TemporaryFolder();
        // A stand-in for the image's `airflow`: prints the arguments it got and whether the password is still in its environment.
        var bin = Directory.CreateDirectory(Path.Combine(folder.Path, "bin")).FullName;
        var airflow = Path.Combine(bin, "airflow");
        await File.WriteAllTextAsync(airflow, "#!/bin/sh\necho \"args: $*\"\necho \"password variable: ${_AIRFLOW_ADMIN_PASSWORD-unset}\"\n",
            TestContext.Current.CancellationToken);
        File.SetUnixFileMode(airflow, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var passwords = Path.Combine(folder.Path, "simple_auth_manager_passwords.json.generated");
        const string password = "a\"quote\\and spaces";

        var start = new ProcessStartInfo("python3", ["-c", AirflowContainer.ApiServerStartScript, "api-server", "--port", "8080", "--host", "0.0.0.0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = $"{bin}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = passwords;
        start.Environment[AirflowContainer.AdminPasswordVariable] = password;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, errors);
        Assert.Equal("args: api-server --port 8080 --host 0.0.0.0\npassword variable: unset\n", output);
        var file = JsonNode.Parse(await File.ReadAllTextAsync(passwords, TestContext.Current.CancellationToken))!.AsObject();
        Assert.Equal(password, file[AirflowBuilderExtensions.AdminUser]!.GetValue<string>());
        Assert.Single(file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwords));
    }
}
