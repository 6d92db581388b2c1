using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

// The Verifier's end-to-end checks of an Airflow run come with the Airflow resources.
// Today it proves the one thing the stack has: Dragonfly answers authenticated commands
// on the connection string Aspire hands it, and really is Dragonfly.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Verifier");

var connectionString = builder.Configuration.GetConnectionString("dragonfly");
if (string.IsNullOrEmpty(connectionString))
{
    logger.LogError("No connection string 'dragonfly': the Verifier must be started by the AppHost with a reference to Dragonfly.");
    return 2;
}

try
{
    // INFO is an admin command to StackExchange.Redis.
    await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
    var server = connection.GetServers()[0];
    var info = (await server.InfoAsync("server")).SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
    if (info.TryGetValue("dragonfly_version", out var version))
    {
        logger.LogInformation("Broker check passed: {Endpoint} is Dragonfly {Version} and accepts authenticated commands.", server.EndPoint, version);
        return 0;
    }
    logger.LogError("Broker check failed: {Endpoint} answers but is not Dragonfly (INFO server has no dragonfly_version; redis_version {RedisVersion}).",
        server.EndPoint, info.GetValueOrDefault("redis_version", "unknown"));
    return 1;
}
catch (RedisException exception)
{
    logger.LogError("Broker check failed: cannot use Dragonfly: {Message}", exception.Message);
    return 1;
}
