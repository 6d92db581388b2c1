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

using var host = builder.Build();
// Started so that OpenTelemetry exports the spans and metrics; stopped at the end to flush them.
await host.StartAsync();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Verifier");
var options = host.Services.GetRequiredService<IOptions<VerifierOptions>>().Value;

var connectionString = builder.Configuration.GetConnectionString("dragonfly");
if (string.IsNullOrEmpty(connectionString) || string.IsNullOrEmpty(options.Password))
{
    logger.LogError("Started without {Missing}: the Verifier is meant to be started by the AppHost, which passes " +
        "ConnectionStrings__dragonfly and Verifier__Password.", string.IsNullOrEmpty(connectionString) ? "a connection string 'dragonfly'" : "Verifier:Password");
    return 2;
}

// A report of an earlier run must not pass for this one's.
if (options.ReportPath is { Length: > 0 } previous)
{
    File.Delete(previous);
}

// INFO is an admin command to StackExchange.Redis; a broker that is down fails the broker checks, not the start.
await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true,abortConnect=false");
var inspector = new CeleryBrokerInspector(redis, brokerDatabase: 0, resultDatabase: 1);
var verification = new AirflowVerification(host.Services.GetRequiredService<AirflowClient>(), inspector, options, logger);
var report = new VerificationReport { DagId = options.DagId };

int exitCode;
if (options.Runs > 0)
{
    var result = await new Benchmark(verification, options).RunAsync(report, CancellationToken.None);
    if (result is null)
    {
        Log(report);
        exitCode = 1;
    }
    else
    {
        var json = result.ToJson();
        logger.LogInformation("Benchmark: {Json}", json);
        await WriteReportAsync(options, json);
        exitCode = result.Failed == 0 && result.TimedOut == 0 ? 0 : 1;
    }
}
else
{
    report = await verification.RunAsync(CancellationToken.None);
    Log(report);
    await WriteReportAsync(options, report.ToJson());
    exitCode = report.Passed ? 0 : 1;
}
await host.StopAsync();
return exitCode;

void Log(VerificationReport report)
{
    foreach (var line in report.Lines())
    {
        logger.Log(line.StartsWith("FAIL", StringComparison.Ordinal) || line.StartsWith("NOT", StringComparison.Ordinal) || line.StartsWith("     ", StringComparison.Ordinal)
            ? LogLevel.Error : LogLevel.Information, "{Line}", line);
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
