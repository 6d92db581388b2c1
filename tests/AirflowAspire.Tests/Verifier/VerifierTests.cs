using System.Net;
using System.Text;
using System.Text.Json;
using AirflowAspire.Tests.Contract;
using AirflowAspire.Tests.Fixtures;
using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using AirflowAspire.Verifier.Verification;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// The Verifier's whole flow against <see cref="FakeAirflow"/> (held to Airflow's OpenAPI documents)
/// and a real Redis-protocol server (Garnet) holding what Celery leaves behind: the verdict on a good
/// run, and the check and likely cause named for each way a deployment fails.
/// </summary>
public sealed class VerifierTests : IAsyncLifetime
{
    private readonly GarnetServer _server = new("broker-password");
    private ConnectionMultiplexer _redis = null!;

    public async ValueTask InitializeAsync()
        => _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port},password={_server.Password},allowAdmin=true");

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        _server.Dispose();
    }

    // Bounds a good run never reaches, even on a loaded machine (1 s was reached there: a run still queued at its bound).
    private static readonly VerifierOptions Options = new()
    {
        Password = FakeAirflow.Password,
        PollInterval = TimeSpan.FromMilliseconds(5),
        HealthTimeout = TimeSpan.FromSeconds(30),
        DagTimeout = TimeSpan.FromSeconds(30),
        RunTimeout = TimeSpan.FromSeconds(30),
    };

    private static VerifierOptions WithRunTimeout(TimeSpan runTimeout) => Bounded(run: runTimeout);

    // A test of what happens when a bound is reached sets that one short; the others keep the wide margin of Options.
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    private static VerifierOptions Bounded(TimeSpan? health = null, TimeSpan? run = null, string password = FakeAirflow.Password,
        VerifierResources? resources = null) => new()
    {
        Password = password, Resources = resources ?? new VerifierResources(), PollInterval = Options.PollInterval,
        HealthTimeout = health ?? Options.HealthTimeout, DagTimeout = Options.DagTimeout, RunTimeout = run ?? Options.RunTimeout,
    };

    private FakeAirflow Fake(string version = "3.0") => new(AirflowOpenApi.Load(version), _redis);

    private static AirflowClient Client(HttpMessageHandler airflow) => new(new HttpClient(airflow) { BaseAddress = new Uri("http://airflow-api") });

    private Task<VerificationReport> VerifyAsync(FakeAirflow airflow, VerifierOptions? options = null)
    {
        var client = Client(airflow);
        var verification = new AirflowVerification(client, new CeleryBrokerInspector(_redis, 0, 1), options ?? Options, NullLogger.Instance);
        return verification.RunAsync(TestContext.Current.CancellationToken);
    }

    private static Check Single(VerificationReport report, string name) => Assert.Single(report.Checks, c => c.Name == name);

    [Theory]
    [InlineData("3.0")]
    [InlineData("main-2026-02")]
    public async Task A_good_run_passes_every_check_and_only_the_broker_identity_fails_on_a_server_that_is_not_Dragonfly(string version)
    {
        var airflow = Fake(version);

        var report = await VerifyAsync(airflow);

        Assert.True(airflow.ContractViolations.Count == 0, string.Join("\n", airflow.ContractViolations));
        Assert.All(report.Checks.Where(c => c.Name != "broker-is-dragonfly"), c => Assert.True(c.Passed, $"{c.Name}: {c.Seen}"));
        Assert.Equal(["api-reachable", "components-healthy", "token", "dag-parsed", "dag-unpaused", "run-succeeded", "tasks-succeeded",
            "tasks-on-worker-queues", "tasks-ran-on-a-host", "task-log-has-output", "celery-result-in-backend",
            "broker-queue-drained:default", "broker-is-dragonfly"], report.Checks.Select(c => c.Name));
        var broker = Single(report, "broker-is-dragonfly");
        Assert.False(broker.Passed);
        Assert.StartsWith("Garnet", broker.Seen);
        Assert.Contains("not Dragonfly", broker.Cause);
        Assert.False(report.Passed);
        // Unpaused before the trigger: a paused DAG's runs stay queued forever.
        var unpause = airflow.Requests.FindIndex(r => r.StartsWith("PATCH"));
        Assert.InRange(unpause, 0, airflow.Requests.FindIndex(r => r.StartsWith("POST /api/v2/dags")));
        Assert.NotNull(report.TriggerToTerminalSeconds);
    }

    [Fact]
    public async Task A_DAG_file_that_fails_to_import_fails_at_once_with_Airflows_error()
    {
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { ImportError = "Traceback (most recent call last):\nModuleNotFoundError: No module named 'pandaz'" };
        var options = new VerifierOptions { Password = FakeAirflow.Password, PollInterval = TimeSpan.FromMilliseconds(5), DagTimeout = TimeSpan.FromMinutes(5) };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var report = await VerifyAsync(airflow, options);

        var dag = Single(report, "dag-parsed");
        Assert.False(dag.Passed);
        Assert.Contains("No module named 'pandaz'", dag.Cause);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "An import error of the DAG's own file must not wait for the DAG timeout.");
        Assert.DoesNotContain(airflow.Requests, r => r.StartsWith("POST /api/v2/dags"));
        Assert.Empty(airflow.ContractViolations);
    }

    [Fact]
    public async Task A_DAG_whose_file_broke_after_it_was_parsed_fails_at_once_with_the_import_error()
    {
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis)
        {
            BrokenAfterParse = true, PollsBeforeDagAppears = 0,
            ImportError = "Traceback (most recent call last):\nSyntaxError: invalid syntax",
        };
        var options = new VerifierOptions { Password = FakeAirflow.Password, PollInterval = TimeSpan.FromMilliseconds(5), DagTimeout = TimeSpan.FromMinutes(5) };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var report = await VerifyAsync(airflow, options);

        var dag = Single(report, "dag-parsed");
        Assert.False(dag.Passed);
        Assert.Contains("SyntaxError", dag.Cause);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "A known DAG with an import error must not wait for the DAG timeout.");
        Assert.Empty(airflow.ContractViolations);
    }

    [Fact]
    public async Task An_api_server_that_stops_answering_mid_run_fails_a_check_instead_of_crashing()
    {
        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { GoesDownAfterTrigger = true });

        var step = Single(report, "run-step");
        Assert.False(step.Passed);
        Assert.Contains("Connection refused", step.Seen);
        Assert.Contains("airflow-api", step.Cause);
        Assert.Contains(report.Checks, c => c.Name == "broker-is-dragonfly");
    }

    [Fact]
    public async Task An_api_server_still_starting_is_waited_for_within_the_health_timeout()
    {
        // The AppHost starts the Verifier beside the api-server, not after it is healthy.
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { RefusedWhileStarting = 5 };

        var report = await VerifyAsync(airflow);

        Assert.True(Single(report, "api-reachable").Passed);
        Assert.True(Single(report, "run-succeeded").Passed);
        Assert.Equal(6, airflow.Requests.Count(r => r == "GET /api/v2/version"));
    }

    [Fact]
    public async Task A_Celery_result_written_well_after_the_run_ended_is_waited_for_within_the_run_timeout()
    {
        // Beyond the former fixed 5 s grace, which real Airflow 3.0.3 outran by 52 ms (its result came 5.06 s after success).
        var lag = TimeSpan.FromSeconds(6);
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { CeleryResultLag = lag };

        var report = await VerifyAsync(airflow, WithRunTimeout(TimeSpan.FromSeconds(60)));

        var result = Single(report, "celery-result-in-backend");
        Assert.True(result.Passed, result.Seen);
    }

    [Fact]
    public async Task A_Celery_result_that_never_comes_fails_its_check_once_the_run_timeout_has_passed()
    {
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { CeleryResultLag = Timeout.InfiniteTimeSpan };

        var report = await VerifyAsync(airflow, WithRunTimeout(TimeSpan.FromSeconds(2)));

        Assert.True(Single(report, "run-succeeded").Passed);
        var result = Single(report, "celery-result-in-backend");
        Assert.False(result.Passed);
        Assert.Contains("0 SUCCESS", result.Seen);
    }

    [Fact]
    public async Task A_broker_that_does_not_answer_fails_the_broker_checks_instead_of_crashing()
    {
        await using var down = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{GarnetServer.FreePort()},allowAdmin=true,abortConnect=false,connectTimeout=200,syncTimeout=500,asyncTimeout=500");
        var client = Client(Fake());
        var verification = new AirflowVerification(client, new CeleryBrokerInspector(down, 0, 1), Options, NullLogger.Instance);

        var report = await verification.RunAsync(TestContext.Current.CancellationToken);

        Assert.False(report.Passed);
        // Airflow's side is still checked; the broker's checks fail, pointing at the broker.
        Assert.True(report.Checks.Any(c => c.Name == "run-succeeded" && c.Passed), string.Join('\n', report.Lines()));
        Assert.True(Single(report, "task-log-has-output").Passed);
        Assert.Contains("dragonfly", Single(report, "celery-result-in-backend").Cause);
        Assert.True(report.Checks.Any(c => c.Name == "broker-is-dragonfly" && c.Cause!.Contains("dragonfly")), string.Join('\n', report.Lines()));
    }

    // Every operation the fake serves, as the Verifier reaches it in one run.
    public static TheoryData<string, int> EveryOperationFailing()
    {
        string[] operations = ["get_version", "get_health", "create_token", "get_dag", "get_import_errors", "patch_dag",
            "trigger_dag_run", "get_dag_run", "get_task_instances", "get_log"];
        var data = new TheoryData<string, int>();
        foreach (var operation in operations)
        {
            foreach (var status in new[] { 500, 503, 0 })
            {
                data.Add(operation, status);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryOperationFailing))]
    public async Task Any_error_answer_or_refused_connection_at_any_step_is_a_failed_check_with_its_cause_never_a_crash(string operation, int status)
    {
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { Faults = { [operation] = status } };

        // The health step polls to its bound through error answers.
        var report = await VerifyAsync(airflow, Bounded(health: Short));

        Assert.NotEmpty(airflow.Requests);
        Assert.Empty(airflow.ContractViolations);
        Assert.False(report.Passed);
        var failed = report.Checks.Where(c => !c.Passed && c.Name != "broker-is-dragonfly").ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, c => Assert.False(string.IsNullOrWhiteSpace(c.Cause), $"{c.Name} has no cause"));
        // The first failure says what happened: the status Airflow answered, or that it stopped answering.
        Assert.Contains(status == 0 ? "Connection refused" : $"answered {status}", failed[0].Seen + " " + failed[0].Cause);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("failed", json.RootElement.GetProperty("verdict").GetString());
    }

    // The names of an AppHost that calls everything otherwise: no cause may point at the default names.
    private static readonly VerifierResources Renamed = new()
    {
        Migration = "db-init", ApiServer = "web", Scheduler = "sched", DagProcessor = "parser", Triggerer = "",
        Workers = "celery-a, celery-b", Broker = "queue-server", AdminPasswordParameter = "web-password", JwtSecretParameter = "task-token-key",
    };

    private static readonly string[] DefaultNames = ["airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-dag-processor",
        "airflow-triggerer", "airflow-worker-1", "dragonfly resource", "airflow-admin-password", "airflow-jwt-secret"];

    private static VerifierOptions RenamedOptions(string password = FakeAirflow.Password, TimeSpan? run = null)
        => Bounded(health: Short, run: run, password: password, resources: Renamed);

    private static void AssertNoDefaultName(VerificationReport report)
        => Assert.All(report.Checks.Where(c => c.Cause is not null), c => Assert.All(DefaultNames, name =>
            Assert.True(!c.Cause!.Contains(name, StringComparison.Ordinal), $"{c.Name}'s cause names {name}: {c.Cause}")));

    [Theory]
    [MemberData(nameof(EveryOperationFailing))]
    public async Task Causes_name_the_resources_as_the_AppHost_named_them(string operation, int status)
    {
        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { Faults = { [operation] = status } }, RenamedOptions());

        Assert.Contains(report.Checks, c => !c.Passed && c.Name != "broker-is-dragonfly");
        AssertNoDefaultName(report);
    }

    [Fact]
    public async Task Each_cause_points_at_the_resource_or_parameter_the_AppHost_named()
    {
        var scheduler = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { SchedulerUnhealthy = true }, RenamedOptions());
        var password = await VerifyAsync(Fake(), RenamedOptions(password: "not-the-password"));
        var jwt = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { WorkerError = ("ServerResponseError", "Invalid auth token: Signature verification failed") }, RenamedOptions());
        var stuck = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { NoWorker = true }, RenamedOptions(run: Short));
        var apiDown = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { GoesDownAfterTrigger = true }, RenamedOptions());

        Assert.Contains("see the sched resource's log", Single(scheduler, "components-healthy").Cause);
        Assert.Contains("from the web-password parameter; restart web", Single(password, "token").Cause);
        Assert.Contains("the AppHost's task-token-key parameter", Single(jwt, "run-succeeded").Cause);
        Assert.Contains("workers celery-a, celery-b down", Single(stuck, "run-finished").Cause);
        Assert.Contains("see the web resource's log", Single(apiDown, "run-step").Cause);
        await using var down = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{GarnetServer.FreePort()},allowAdmin=true,abortConnect=false,connectTimeout=200,syncTimeout=500,asyncTimeout=500");
        var brokerDown = await new AirflowVerification(Client(Fake()), new CeleryBrokerInspector(down, 0, 1), RenamedOptions(), NullLogger.Instance)
            .RunAsync(TestContext.Current.CancellationToken);
        Assert.Contains("see the queue-server resource", Single(brokerDown, "celery-result-in-backend").Cause);
        Assert.Contains("see the queue-server resource", Single(brokerDown, "broker-is-dragonfly").Cause);
        foreach (var report in new[] { scheduler, password, jwt, stuck, apiDown, brokerDown })
        {
            AssertNoDefaultName(report);
        }
    }

    [Fact]
    public async Task A_process_the_AppHost_named_none_is_named_by_its_kind()
    {
        var options = new VerifierOptions
        {
            Password = FakeAirflow.Password, Resources = new VerifierResources { Scheduler = "" },
            PollInterval = TimeSpan.FromMilliseconds(5), HealthTimeout = TimeSpan.FromSeconds(1),
        };

        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { SchedulerUnhealthy = true }, options);

        Assert.EndsWith("not heartbeating, see the scheduler process's log", Single(report, "components-healthy").Cause);
    }

    [Fact]
    public async Task A_wrong_password_fails_the_token_check_and_names_the_passwords_file()
    {
        var report = await VerifyAsync(Fake(), new VerifierOptions { Password = "not-the-password", PollInterval = TimeSpan.FromMilliseconds(5) });

        var token = Single(report, "token");
        Assert.False(token.Passed);
        Assert.Contains("401", token.Seen);
        Assert.Contains("simple_auth_manager_passwords_file", token.Cause);
    }

    [Theory]
    [InlineData("ServerResponseError", "Invalid auth token: Signature verification failed", "AIRFLOW__API_AUTH__JWT_SECRET")]
    [InlineData("ConnectError", "[Errno 111] Connection refused", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL")]
    [InlineData("ServerResponseError", "Invalid auth token: Signature has expired", "apache/airflow#60108")]
    public async Task A_task_that_fails_on_the_worker_fails_the_run_naming_the_setting_from_Celerys_error(string type, string message, string setting)
    {
        var airflow = new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { WorkerError = (type, message) };

        var report = await VerifyAsync(airflow);

        var run = Single(report, "run-succeeded");
        Assert.False(run.Passed);
        Assert.Contains(setting, run.Cause);
        Assert.Contains(message, run.Cause);
        Assert.False(Single(report, "tasks-ran-on-a-host").Passed);
        Assert.False(Single(report, "celery-result-in-backend").Passed);
    }

    [Fact]
    public async Task A_task_no_worker_picks_up_times_out_naming_the_queue_and_the_workers()
    {
        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { NoWorker = true }, Bounded(run: Short));

        var finished = Single(report, "run-finished");
        Assert.False(finished.Passed);
        Assert.Contains("first_task queued", finished.Seen);
        Assert.Contains("no Celery worker picked it up", finished.Cause);
    }

    [Fact]
    public async Task A_scheduler_that_never_reports_healthy_fails_the_health_check_by_name()
    {
        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { SchedulerUnhealthy = true }, Bounded(health: Short));

        var health = Single(report, "components-healthy");
        Assert.False(health.Passed);
        Assert.Contains("scheduler unhealthy", health.Seen);
        Assert.Contains("airflow-scheduler", health.Cause);
        Assert.DoesNotContain(report.Checks, c => c.Name == "token");
    }

    [Fact]
    public async Task A_token_whose_signature_the_api_server_refuses_names_the_jwt_secret()
    {
        var report = await VerifyAsync(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { RejectTokenSignature = true });

        var dag = Single(report, "dag-parsed");
        Assert.False(dag.Passed);
        Assert.Contains("403", dag.Seen);
        Assert.Contains("jwt_secret", dag.Cause);
    }

    [Theory]
    [InlineData("{}", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"logical_date": null, "bogus": 1}""", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"logical_date": null}""", HttpStatusCode.OK)]
    public async Task The_fake_rejects_trigger_bodies_as_Airflow_does(string body, HttpStatusCode expected)
    {
        var airflow = Fake();
        using var http = new HttpClient(airflow) { BaseAddress = new Uri("http://airflow-api") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "fake-airflow-token");

        using var response = await http.PostAsync("/api/v2/dags/hello_dragonfly/dagRuns",
            new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task The_client_surfaces_401_without_a_token_and_403_with_a_refused_one()
    {
        var unauthenticated = Client(Fake());
        var missing = await Assert.ThrowsAsync<AirflowApiException>(() => unauthenticated.GetDagAsync("hello_dragonfly", TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("Not authenticated", missing.Detail);

        var refused = Client(new FakeAirflow(AirflowOpenApi.Load("3.0"), _redis) { RejectTokenSignature = true });
        await refused.LogInAsync("admin", FakeAirflow.Password, TestContext.Current.CancellationToken);
        var forbidden = await Assert.ThrowsAsync<AirflowApiException>(() => refused.GetDagAsync("hello_dragonfly", TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
    }

    [Fact]
    public async Task The_report_is_written_as_JSON_with_the_verdict_the_checks_and_the_timings()
    {
        var report = await VerifyAsync(Fake());

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("failed", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("3.0.3", json.RootElement.GetProperty("airflow_version").GetString());
        Assert.True(json.RootElement.GetProperty("trigger_to_terminal_seconds").GetDouble() > 0);
        Assert.Equal(report.Checks.Count, json.RootElement.GetProperty("checks").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("step_seconds").TryGetProperty("run", out _));
        Assert.Contains(report.Lines(), line => line.StartsWith("FAIL broker-is-dragonfly", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Benchmark_mode_runs_them_all_and_reports_ordered_latencies()
    {
        var airflow = Fake();
        var client = Client(airflow);
        var options = new VerifierOptions { Password = FakeAirflow.Password, PollInterval = TimeSpan.FromMilliseconds(5), Runs = 6, Concurrency = 3 };
        var verification = new AirflowVerification(client, new CeleryBrokerInspector(_redis, 0, 1), options, NullLogger.Instance);

        var result = await new Benchmark(verification, options).RunAsync(new VerificationReport(), TestContext.Current.CancellationToken);

        Assert.NotNull(result);
        Assert.Equal(6, result.Succeeded);
        Assert.Equal(6, airflow.Requests.Count(r => r.StartsWith("POST /api/v2/dags")));
        Assert.True(result.MinSeconds <= result.P50Seconds && result.P50Seconds <= result.P95Seconds && result.P95Seconds <= result.MaxSeconds);
        Assert.True(result.RunsPerMinute > 0);
        Assert.StartsWith("Garnet", result.Broker);
        Assert.Empty(airflow.ContractViolations);
    }

    [Fact]
    public void Dragonfly_is_recognised_by_dragonfly_version_in_INFO_server()
    {
        // Fields of Dragonfly v1.40.1's INFO server (../shared/reference/dragonfly-facts.md).
        var dragonfly = CeleryBrokerInspector.Identify("127.0.0.1:6379", new Dictionary<string, string>
        {
            ["redis_version"] = "7.4.0", ["dragonfly_version"] = "df-v1.40.1", ["thread_count"] = "2",
        });
        var redis = CeleryBrokerInspector.Identify("127.0.0.1:6379", new Dictionary<string, string> { ["redis_version"] = "7.0.15" });

        Assert.True(dragonfly.IsDragonfly);
        Assert.Equal("Dragonfly df-v1.40.1", dragonfly.Description);
        Assert.False(redis.IsDragonfly);
        Assert.Equal("Redis 7.0.15", redis.Description);
        // Dragonfly reports a redis_version too: it is not Redis for broker-is-redis.
        Assert.True(redis.Is("redis"));
        Assert.False(dragonfly.Is("redis"));
        Assert.Equal("garnet", CeleryBrokerInspector.Identify("x", new Dictionary<string, string> { ["redis_version"] = "7.4.3", ["garnet_version"] = "2.2.8" }).Kind);
    }

    [Fact]
    public async Task A_message_waiting_at_any_priority_counts_as_waiting_in_its_queue()
    {
        // Kombu's lists of queue "default": the queue itself and "default\x06\x16{3,6,9}" (kombu/transport/redis.py _q_for_pri).
        var db = _redis.GetDatabase(0);
        await db.ListLeftPushAsync("default", "priority 0");
        await db.ListLeftPushAsync("default\u0006\u00166", "priority 6");
        await db.ListLeftPushAsync("default\u0006\u00169", "priority 9");

        Assert.Equal(3, await new CeleryBrokerInspector(_redis, 0, 1).QueueLengthAsync("default"));
    }

    [Fact]
    public void Celery_result_entries_are_read_with_their_error()
    {
        var failure = CeleryBrokerInspector.Parse("""
            {"status": "FAILURE", "result": {"exc_type": "ServerResponseError", "exc_message": ["Invalid auth token: Signature verification failed"], "exc_module": "airflow.sdk.api.client"},
             "traceback": "...", "children": [], "date_done": "2026-11-25T10:00:01.123456", "task_id": "abc"}
            """);

        Assert.NotNull(failure);
        Assert.Equal("FAILURE", failure.Status);
        Assert.Equal("ServerResponseError: Invalid auth token: Signature verification failed", failure.Error);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 1, 123, TimeSpan.Zero).AddTicks(4560), failure.DateDone);
    }
}
