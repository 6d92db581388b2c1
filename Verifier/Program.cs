using AirflowAspire.Contracts;
using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Airflow;
using AirflowAspire.Verifier.Broker;
using AirflowAspire.Verifier.Verification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// Triggers the DAG over Airflow's REST API and proves the outcome end to end (see README, "The Verifier").
// Exit code: 0 every check held, 1 a check failed, 2 it was started without what it needs.
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--runs"] = "Verifier:Runs",
    ["--concurrency"] = "Verifier:Concurrency",
    ["--report"] = "Verifier:ReportPath",
});
builder.AddServiceDefaults();
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(VerifierTelemetry.Name))
    .WithMetrics(metrics => metrics.AddMeter(VerifierTelemetry.Name));
builder.Services.Configure<VerifierOptions>(builder.Configuration.GetSection(VerifierOptions.SectionName));
builder.Services.AddHttpClient<AirflowClient>((sp, http) =>
    http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<VerifierOptions>>().Value.AirflowUrl));
// Aspire's Redis client: the broker gets a health check, and its Redis calls are traced to the dashboard.
var brokerConnection = BrokerConnection.NameIn(builder.Configuration);
if (brokerConnection is not null)
{
    builder.AddRedisClient(brokerConnection, configureOptions: redis =>
    {
        // INFO (the broker step) is an admin command to StackExchange.Redis; a broker that is down fails the broker
        // checks, not the start.
        redis.AllowAdmin = true;
        redis.AbortOnConnectFail = false;
    });
}
// Aspire hands the client the Verifier's loggers, and StackExchange.Redis logs each step of its connection (some forty
// lines) as information: its warnings and errors are what the Verifier's log needs beside its own lines.
builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Warning);
// HttpClient logs four Information lines per request (start and end, logical and client handler): with polling every
// 200 ms they buried the Verifier's own step and check lines (some 900 lines a run). Warning, unless the configuration
// asks for a level of that category or one above it (Logging__LogLevel__System.Net.Http.HttpClient=Information).
if (!HttpClientLogging.IsConfigured(builder.Configuration))
{
    builder.Logging.AddFilter(HttpClientLogging.Category, LogLevel.Warning);
}

// Disposed by ExitAsync, within a bound: not with `using`, which would wait for the telemetry flush however long it takes.
var host = builder.Build();
// Started so that OpenTelemetry exports the spans and metrics; stopped at the end to flush them.
await host.StartAsync();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Verifier");
var options = host.Services.GetRequiredService<IOptions<VerifierOptions>>().Value;

if (brokerConnection is null || string.IsNullOrEmpty(options.Password))
{
    logger.LogError("Started without {Missing}: the Verifier is meant to be started by the AppHost, which passes " +
        "ConnectionStrings__{Connection} and Verifier__Password.",
        brokerConnection is null ? $"a connection string '{BrokerConnection.Name}' (or '{BrokerConnection.FormerName}')" : "Verifier:Password", BrokerConnection.Name);
    return await ExitAsync(2);
}
if (options.ExpectedBroker is not ("dragonfly" or "redis"))
{
    logger.LogError("Verifier:ExpectedBroker is '{Value}': expected dragonfly or redis (the AppHost sets it from Airflow:Broker).", options.ExpectedBroker);
    return await ExitAsync(2);
}
// The user's DAGs and their conf: a setting it cannot use stops it here, before anything runs.
try
{
    var selection = DagSelection.From(options);
    if (!selection.IsEmpty)
    {
        logger.LogInformation("Chosen DAGs besides {DagId}: {Dags}", options.DagId,
            string.Join(", ", selection.DagIds.Concat(selection.Tags.Select(t => DagSelection.TagPrefix + t))));
    }
}
catch (VerifierSettingException error)
{
    logger.LogError("{Error}", error.Message);
    return await ExitAsync(2);
}
// The databases Airflow's Celery uses, from the URLs it was given; the server is the connection string's.
CeleryRedisUrl brokerUrl, resultBackendUrl;
var connectionString = builder.Configuration.GetConnectionString(brokerConnection)!;
try
{
    brokerUrl = BrokerConnection.Url(options.BrokerUrl, connectionString, BrokerConnection.DefaultBrokerDatabase);
    resultBackendUrl = BrokerConnection.Url(options.ResultBackendUrl, connectionString, BrokerConnection.DefaultResultBackendDatabase);
}
catch (FormatException error)
{
    // The message never holds the password: CeleryRedisUrl masks it.
    logger.LogError("Verifier:BrokerUrl or Verifier:ResultBackendUrl is not a Celery Redis URL: {Error}", error.Message);
    return await ExitAsync(2);
}
logger.LogInformation("Celery's broker: {BrokerUrl}; its result backend: {ResultBackendUrl}; inspected through connection string '{Connection}'",
    brokerUrl, resultBackendUrl, brokerConnection);

// A report of an earlier run must not pass for this one's.
if (options.ReportPath is { Length: > 0 } previous)
{
    File.Delete(previous);
}

// Disposed with the host, by ExitAsync.
var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
var inspector = new CeleryBrokerInspector(redis, brokerUrl.Database, resultBackendUrl.Database);
var verification = new AirflowVerification(host.Services.GetRequiredService<AirflowClient>(), inspector, options, logger);
var report = new VerificationReport { DagId = options.DagId };
string? json = null;
var exitCode = 1;
try
{
    if (options.Runs > 0)
    {
        var result = await new Benchmark(verification, options).RunAsync(report, CancellationToken.None);
        if (result is not null)
        {
            json = result.ToJson();
            logger.LogInformation("Benchmark: {Json}", json);
            exitCode = result.Failed == 0 && result.TimedOut == 0 ? 0 : 1;
        }
    }
    else
    {
        report = await verification.RunAsync(CancellationToken.None);
        exitCode = report.Passed ? 0 : 1;
    }
}
catch (Exception exception)
{
    // The steps turn every failure of Airflow or the broker into a check; what still gets here is the Verifier's own
    // fault. It is a failed check all the same, so the report is written and the exit code stays 1.
    report.Add(new Check("verifier", false, "the Verifier runs to its verdict", $"{exception.GetType().Name}: {exception.Message}",
        LikelyCause.VerifierFault));
    exitCode = 1;
}
finally
{
    if (json is null)
    {
        Log(report);
    }
    await WriteReportAsync(options, json ?? report.ToJson());
}
return await ExitAsync(exitCode);

// The process ends within a second of its verdict however it is started. Stopping the host flushes the telemetry, and
// OpenTelemetry's exporters wait up to their 10 s timeout for an OTLP endpoint that accepts but does not answer (an
// AppHost under DistributedApplicationTestingBuilder hands the Verifier the dashboard's endpoint with no dashboard
// behind it): the verifier stayed Running 15 s after its verdict. Telemetry gets the budget; what is not sent by then is dropped.
async Task<int> ExitAsync(int code)
{
    var budget = TimeSpan.FromMilliseconds(500);
    var shutdown = Task.Run(async () =>
    {
        await host.StopAsync();
        host.Dispose();
    });
    if (await Task.WhenAny(shutdown, Task.Delay(budget)) != shutdown)
    {
        await Console.Error.WriteLineAsync($"Telemetry not flushed within {budget.TotalSeconds} s (the OTLP endpoint did not answer); exiting without it.");
    }
    return code;
}

void Log(VerificationReport report)
{
    foreach (var line in report.Lines())
    {
        logger.Log(VerificationReport.LevelOf(line), "{Line}", line);
    }
}

static async Task WriteReportAsync(VerifierOptions options, string json)
{
    if (options.ReportPath is { Length: > 0 } path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, json);
    }
}
