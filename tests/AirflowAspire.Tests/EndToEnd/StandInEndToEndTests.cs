using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.EndToEnd;

/// <summary>
/// The whole stack on every CI run: the real AppHost through <see cref="DistributedApplicationTestingBuilder"/>,
/// real processes started by DCP, the Dragonfly stand-in (tests/DragonflyStandIn, serving with Garnet) in place
/// of the Dragonfly binary, the stand-in of Airflow 3.0.3's processes (tests/AirflowStandIn: a real Celery
/// worker, the REST and Task Execution APIs, the scheduler and dag-processor) and the real Verifier, start to
/// verdict; then with faults induced.
/// </summary>
public sealed class StandInEndToEndTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly string[] Ended = ["Finished", "Exited", "FailedToStart"];

    private static Task<(int? ExitCode, JsonDocument Report, IReadOnlyList<string> Log)> RunAsync(AirflowStandIn standIn, params string[] extra)
        => RunAsync(standIn, null, extra);

    /// <summary>Runs the stack until the Verifier ends; <paramref name="whileRunning"/> sees the stack still up.</summary>
    private static async Task<(int? ExitCode, JsonDocument Report, IReadOnlyList<string> Log)> RunAsync(
        AirflowStandIn standIn, Func<RunningAppHost, Task>? whileRunning, params string[] extra)
    {
        await using var app = await RunningAppHost.StartAsync(Bound, [.. standIn.AppHostArguments, .. extra]);
        var verifier = await app.WaitForStateAsync("verifier", Bound, Ended);
        Assert.True(File.Exists(standIn.ReportPath),
            $"The Verifier ({verifier.Snapshot.State?.Text}, exit {verifier.Snapshot.ExitCode}) wrote no report. Its log:\n{string.Join('\n', app.Log("verifier"))}");
        // This run's report, before anything may run the Verifier again.
        var report = standIn.ReadReport();
        if (whileRunning is not null)
        {
            await whileRunning(app);
        }
        return (verifier.Snapshot.ExitCode, report, app.Log("verifier"));
    }

    /// <summary>The dashboard's Verify command on the deployment: the Verifier runs again and writes a new report.</summary>
    private static async Task<bool> VerifyCommandRunsTheVerifierAgainAsync(RunningAppHost app, AirflowStandIn standIn)
    {
        File.Delete(standIn.ReportPath);
        var airflow = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "airflow");
        var result = await app.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(airflow, VerifierBuilderExtensions.VerifyCommand, TestContext.Current.CancellationToken);
        Assert.True(result.Success, result.Message);
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // Whole once it parses: the Verifier writes it as its last act.
                standIn.ReadReport().Dispose();
                return true;
            }
            catch (Exception exception) when (exception is IOException or JsonException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        return false;
    }

    /// <summary>
    /// Asks the stand-in's api-server every call the Verifier makes, for the run the Verifier made, and checks
    /// each answer against Airflow 3.0.3's OpenAPI document: the stand-in cannot drift from Airflow's contract.
    /// </summary>
    private static async Task<IReadOnlyList<string>> StandInAnswersAgainstTheContractAsync(RunningAppHost app, JsonDocument report, string airflowVersion)
    {
        // The 3.0 line's document, or the newest the tests carry (main of 2026-02, between 3.1.7 and 3.2.0) for a newer line.
        var contract = Contract.AirflowOpenApi.Load(airflowVersion.StartsWith("3.0.", StringComparison.Ordinal) ? "3.0" : "main-2026-02");
        var api = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "airflow-api");
        var url = await ((IResourceWithEndpoints)api).GetEndpoint("http").Property(EndpointProperty.Url).GetValueAsync(TestContext.Current.CancellationToken);
        var password = await app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == "airflow-admin-password").GetValueAsync(TestContext.Current.CancellationToken);
        var runId = report.RootElement.GetProperty("run_id").GetString();
        var run = $"/api/v2/dags/hello_dragonfly/dagRuns/{runId}";
        using var http = new HttpClient { BaseAddress = new Uri(url!) };
        var violations = new List<string>();

        async Task<string> CallAsync(string method, string path, string? body = null)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Accept.ParseAdd("application/json");
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            violations.AddRange(contract.CheckResponse(method, path, (int)response.StatusCode, text).Select(v => $"{method} {path}: {v}"));
            return text;
        }

        await CallAsync("GET", "/api/v2/version");
        await CallAsync("GET", "/api/v2/monitor/health");
        await CallAsync("POST", "/auth/token", """{"username": "admin"}""");
        var token = JsonDocument.Parse(await CallAsync("POST", "/auth/token", JsonSerializer.Serialize(new { username = "admin", password })))
            .RootElement.GetProperty("access_token").GetString();
        await CallAsync("GET", "/api/v2/dags/hello_dragonfly");
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await CallAsync("GET", "/api/v2/dags/hello_dragonfly");
        await CallAsync("GET", "/api/v2/dags/no_such_dag");
        await CallAsync("GET", "/api/v2/importErrors");
        await CallAsync("PATCH", "/api/v2/dags/hello_dragonfly", """{"is_paused": false}""");
        await CallAsync("POST", "/api/v2/dags/hello_dragonfly/dagRuns", "{}");
        await CallAsync("POST", "/api/v2/dags/hello_dragonfly/dagRuns", $$"""{"logical_date": null, "dag_run_id": "{{runId}}"}""");
        await CallAsync("GET", run);
        await CallAsync("GET", $"{run}/taskInstances");
        await CallAsync("GET", $"{run}/taskInstances/first_task/logs/1?full_content=true");
        return violations;
    }

    private static JsonElement Check(JsonDocument report, string name)
        => report.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Theory]
    // The oldest line accepted, verified on real Airflow 3.0.3, and the default, the newest 3.3 release.
    [InlineData("3.0.3")]
    [InlineData("3.3.2")]
    public async Task Every_process_comes_up_and_the_Verifier_passes_every_check_but_the_broker_identity(string airflowVersion)
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create(airflowVersion);
        IReadOnlyList<string> violations = [];

        var rerun = false;
        ResourceStateSnapshot? deploymentState = null;

        var (exitCode, report, log) = await RunAsync(standIn, async app =>
        {
            // Each process in its healthy state: by its health check where it has one, else running.
            foreach (var resource in new[] { "dragonfly", "airflow-api", "airflow-scheduler", "airflow-worker-1" })
            {
                await app.WaitForHealthyAsync(resource, Bound);
            }
            foreach (var resource in new[] { "airflow-dag-processor", "airflow-triggerer" })
            {
                Assert.Equal("Running", (await app.WaitForStateAsync(resource, Bound, "Running", "Exited", "Finished")).Snapshot.State?.Text);
            }
            Assert.Equal(0, (await app.WaitForStateAsync("airflow-migrate", Bound, Ended)).Snapshot.ExitCode);
            // The verdict at a glance, then what Airflow made of the DAG files (the row reads them every 2 s).
            deploymentState = (await app.WaitForStateAsync("airflow", Bound, "Not verified: broker-is-dragonfly; 1 DAG", "Verified; 1 DAG")).Snapshot.State;
            violations = await StandInAnswersAgainstTheContractAsync(app, standIn.ReadReport(), airflowVersion);
            rerun = await VerifyCommandRunsTheVerifierAgainAsync(app, standIn);
        });

        Assert.Equal(1, exitCode);
        Assert.Contains($"Airflow {airflowVersion}", Check(report, "api-reachable").GetProperty("seen").GetString());
        var failed = report.RootElement.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean()).ToList();
        Assert.True(failed.Count == 1 && failed[0].GetProperty("name").GetString() == "broker-is-dragonfly",
            $"Only the broker identity may fail; failed: {string.Join("\n", failed)}\nVerifier log:\n{string.Join('\n', log)}");
        // The broker is the Dragonfly stand-in, which serves with Garnet: INFO server has garnet_version, no dragonfly_version.
        Assert.StartsWith("Garnet ", Check(report, "broker-is-dragonfly").GetProperty("seen").GetString());
        Assert.True(violations.Count == 0, string.Join('\n', violations));
        Assert.True(rerun, "The deployment's Verify command did not run the Verifier again (no new report).");
        Assert.Equal(("Not verified: broker-is-dragonfly; 1 DAG", KnownResourceStateStyles.Error), (deploymentState?.Text, deploymentState?.Style));
        var seconds = report.RootElement.GetProperty("trigger_to_terminal_seconds").GetDouble();
        TestContext.Current.TestOutputHelper?.WriteLine($"Stand-in stack: trigger to success {seconds:0.00} s; steps {report.RootElement.GetProperty("step_seconds")}");
        Assert.InRange(seconds, 0.01, 30);
    }

    /// <summary>
    /// A Celery provider 3.14.0 to 3.18.x never runs here: its duplicate-hostname check makes workers started with
    /// <c>--celery-hostname</c> (as the AppHost starts every worker) reserve tasks and never run them (apache/airflow#59707). An
    /// existing environment that has one (the stand-in plays Airflow 3.1.8 with provider 3.15.0, and would hang as #59707 does)
    /// is refused by the environment step, naming the provider, the issue and the fix, and no Airflow process starts.
    /// </summary>
    [Fact]
    public async Task An_environment_with_a_Celery_provider_whose_workers_never_run_tasks_is_refused_before_any_worker_starts()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create("3.1.8", celeryProvider: "3.15.0");

        await using var app = await RunningAppHost.StartAsync(Bound, [.. standIn.AppHostArguments]);
        var environment = await app.WaitForStateAsync("airflow-env", Bound, Ended);
        var worker = await app.WaitForStateAsync("airflow-worker-1", Bound, Ended);

        Assert.Equal(1, environment.Snapshot.ExitCode);
        var error = await app.WaitForLogAsync("airflow-env", "apache-airflow-providers-celery 3.15.0", Bound);
        Assert.Contains("apache/airflow#59707", error);
        await app.WaitForLogAsync("airflow-env", "Fix: install 'apache-airflow-providers-celery>=3.19.0'", Bound);
        Assert.Equal("FailedToStart", worker.Snapshot.State?.Text);
        Assert.DoesNotContain(app.Log("airflow-worker-1"), line => line.Contains("celery@", StringComparison.Ordinal));
    }

    /// <summary>
    /// Airflow:Broker=redis, with the product's Redis from a local redis-server (Redis:Executable, as in CI and on machines
    /// without a container engine): the same stack, the same Verifier, and now every check holds, the broker's identity
    /// included, and the deployment's row says Verified.
    /// </summary>
    [Fact]
    public async Task On_Redis_every_check_holds_and_the_deployment_is_verified()
    {
        DebianPrerequisites.RequireRedisServer();
        using var standIn = AirflowStandIn.Create();
        ResourceStateSnapshot? deploymentState = null;

        var (exitCode, report, log) = await RunAsync(standIn, async app =>
        {
            await app.WaitForHealthyAsync("redis", Bound);
            using var bound = new CancellationTokenSource(Bound);
            deploymentState = (await app.App.ResourceNotifications.WaitForResourceAsync("airflow",
                e => e.Snapshot.State?.Text is "Verified; 1 DAG" or ['N', 'o', 't', ' ', 'v', ..], bound.Token)).Snapshot.State;
            Assert.DoesNotContain(app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources, r => r.Name == "dragonfly");
        }, "--Airflow:Broker=redis", $"--Redis:Executable={DebianPrerequisites.RedisServer}");

        Assert.True(exitCode == 0, $"Verifier exit {exitCode}. Its log:\n{string.Join('\n', log)}");
        Assert.StartsWith("Redis ", Check(report, "broker-is-redis").GetProperty("seen").GetString());
        Assert.All(report.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.ToString()));
        Assert.Equal(("Verified; 1 DAG", KnownResourceStateStyles.Success), (deploymentState?.Text, deploymentState?.Style));
    }

    [Theory]
    // Secrets that differ between scheduler and api-server.
    [InlineData("scheduler_jwt_secret", "a-secret-only-the-scheduler-has-0123456789abcdef", "AIRFLOW__API_AUTH__JWT_SECRET")]
    // A worker that cannot reach the Task Execution API.
    [InlineData("worker_ignores_execution_api_server_url", true, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL")]
    public async Task A_fault_induced_in_the_stand_in_fails_the_run_naming_the_setting(string fault, object value, string setting)
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        standIn.InduceFaults(new Dictionary<string, object> { [fault] = value });

        var (exitCode, report, _) = await RunAsync(standIn);

        Assert.Equal(1, exitCode);
        var run = Check(report, "run-succeeded");
        Assert.False(run.GetProperty("passed").GetBoolean());
        Assert.Contains(setting, run.GetProperty("cause").GetString());
    }

    [Fact]
    public async Task A_DAG_file_that_fails_to_import_fails_verification_with_the_import_error()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        var dags = Directory.CreateDirectory(Path.Combine(standIn.Folder, "dags")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dags, "hello_dragonfly.py"),
            "from airflow.sdk import DAG\nimport a_module_nobody_installed\n", TestContext.Current.CancellationToken);

        var (exitCode, report, _) = await RunAsync(standIn, $"--Airflow:DagsFolder={dags}");

        Assert.Equal(1, exitCode);
        var dag = Check(report, "dag-parsed");
        Assert.False(dag.GetProperty("passed").GetBoolean());
        Assert.Contains("a_module_nobody_installed", dag.GetProperty("cause").GetString());
    }

    /// <summary>The children the triggerer forks after its first export, which export with it at every export.</summary>
    private const int InStepChildren = 3;

    /// <summary>What the OpenTelemetry SDK logs when an export fails: 1.27.0's lines (Airflow 3.0.3's pin, which the stand-in
    /// logs) and later ones ("Failed to export metrics batch code: 500", as real Airflow logged on SDK 1.45.1).</summary>
    private static readonly string[] ExportFailures =
        ["Failed to export", "Transient error", "Exception while exporting", "Connection broken", "Read timed out",
         // 3.0's dag-processor tags a metric with an object OTLP cannot encode (tests/…/StandIn/DagFileMetricTagsTests.cs):
         // the AppHost blocks that metric on the 3.0 line.
         "Failed to encode key"];

    /// <summary>
    /// With Aspire's dashboard running (as under <c>dotnet run</c>, which demands its OTLP API key), every Airflow process
    /// exports its metrics and traces the way Airflow 3.0.3 does (OTLP/HTTP protobuf to otel_host:otel_port, no headers
    /// of its own, the SDK's OTEL_EXPORTER_OTLP_*HEADERS, one keep-alive <c>requests.Session</c> per exporter) and the
    /// dashboard accepts them, from the processes and from the children they fork: no process logs an export failure, and
    /// the dashboard logs no error. The triggerer forks its children after its first export and they export at the same
    /// instant as it, every interval (the stand-in's fault <c>forks_after_first_export</c>): what Airflow's forked
    /// children met by chance on real Airflow (issue 19), where their requests interleaved on the connection they
    /// inherited (500s, "Connection broken: InvalidChunkLength", the dashboard's InvalidProtocolBufferException).
    /// </summary>
    /// <summary>
    /// On 3.3 with the dashboard on, the dag-processor runs without OpenTelemetry, so its DAGs appear: the stand-in's 3.3
    /// dag-processor, as 3.3.2's (apache/airflow#73583), never finishes parsing with it on. Its log says why; the other
    /// processes still export, and on 3.2 and later metrics go to Aspire's OTEL_EXPORTER_OTLP_ENDPOINT.
    /// </summary>
    [Fact]
    public async Task On_3_3_with_the_dashboard_on_the_dag_processor_runs_without_telemetry_and_the_DAG_is_proven()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create("3.3.2");

        await using var app = await RunningAppHost.StartAsync(Bound, dashboard: true,
        [
            .. standIn.AppHostArguments,
            $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{GarnetServer.FreePort()}",
            $"--ASPNETCORE_URLS=http://127.0.0.1:{GarnetServer.FreePort()}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
        ]);
        var verifier = await app.WaitForStateAsync("verifier", Bound, Ended);
        using var report = standIn.ReadReport();

        Assert.True(Check(report, "dag-parsed").GetProperty("passed").GetBoolean(), string.Join('\n', app.Log("verifier")));
        Assert.True(Check(report, "run-succeeded").GetProperty("passed").GetBoolean(), string.Join('\n', app.Log("verifier")));
        await app.WaitForLogAsync("airflow-dag-processor", "apache/airflow#73583", Bound);
        await app.WaitForLogAsync("airflow-scheduler", "/v1/metrics -> 200 (metrics)", Bound);
        Assert.DoesNotContain(app.Log("airflow-dag-processor"), line => line.Contains("/v1/metrics", StringComparison.Ordinal));
        Assert.Equal(1, verifier.Snapshot.ExitCode);
    }

    [Fact]
    public async Task With_the_dashboard_on_every_Airflow_processs_telemetry_is_accepted()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        standIn.InduceFaults(new Dictionary<string, object> { ["forks_after_first_export"] = InStepChildren });
        string[] processes = ["airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker-1"];

        await using var app = await RunningAppHost.StartAsync(Bound, dashboard: true,
        [
            .. standIn.AppHostArguments,
            $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{GarnetServer.FreePort()}",
            $"--ASPNETCORE_URLS=http://127.0.0.1:{GarnetServer.FreePort()}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
        ]);
        IEnumerable<string> Failures() => processes.SelectMany(process => app.Log(process)
            .Where(line => ExportFailures.Any(failure => line.Contains(failure, StringComparison.Ordinal)))
            .Select(line => $"{process}: {line}"))
            .Concat(app.DashboardErrors.Select(line => $"dashboard: {line}"));

        // One bound for all: metrics go every 5 s (AIRFLOW__METRICS__OTEL_INTERVAL_MILLISECONDS), spans within a second.
        var deadline = DateTime.UtcNow + Bound;
        foreach (var process in processes)
        {
            // The stand-in's own line, on the collector's first 2xx per signal (Airflow logs nothing on success).
            await app.WaitForLogAsync(process, "/v1/metrics -> 200 (metrics)", deadline - DateTime.UtcNow);
            await app.WaitForLogAsync(process, "/v1/traces -> 200 (traces)", deadline - DateTime.UtcNow);
        }

        // The triggerer and the children it forked export at once, on the connection the children inherited, every 5 s.
        // Until each of them has had 4 exports accepted (about 20 s, bounded anew). A request whose answer another process
        // read fails only at its read timeout (10 s), so waiting for every one of them also waits for those. Without the
        // AppHost's Connection: close, each of 12 runs here failed within those 20 s. A failure ends the wait.
        for (var started = 0; started < InStepChildren; started = app.Log("airflow-triggerer").Count(line => line.Contains("Started the trigger runner (pid ", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The triggerer forked {started} of its {InStepChildren} children after its first export.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        int InStep() => app.Log("airflow-triggerer").Count(line => line.Contains("[stand-in] OTLP exports accepted: 4 (metrics) pid=", StringComparison.Ordinal));
        deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline && !Failures().Any() && InStep() < InStepChildren + 1)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.True(!Failures().Any(), $"Export failures:\n{string.Join('\n', Failures().Take(20))}");
        Assert.Equal(InStepChildren + 1, InStep());
    }
}
