using AirflowAspire.AppHost.Redis;
using AirflowAspire.AppHost.StartFailures;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Adds Redis run from a local <c>redis-server</c> binary (the container form is Aspire.Hosting.Redis's <c>AddRedis</c>).</summary>
public static class RedisExecutableBuilderExtensions
{
    /// <summary>
    /// Adds Redis from a local binary, listening on loopback only, with a password and no persistence; healthy when it
    /// answers an authenticated PING. The password never reaches a command line: it is in the configuration file the
    /// binary is started with, written owner-only under <c>.redis/{name}/</c> beside the AppHost before each start.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="executable">The path of <c>redis-server</c>.</param>
    /// <param name="port">The port clients connect to; a free one is chosen when null.</param>
    /// <param name="password">The password parameter; a generated secret one (<c>{name}-password</c>) when null.</param>
    public static IResourceBuilder<RedisExecutableResource> AddRedisExecutable(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, string executable, int? port = null, IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(executable);

        // As Aspire's AddRedis: no special characters, which StackExchange.Redis and redis.conf would need escaped.
        var passwordParameter = password?.Resource
            ?? builder.AddResource(ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false)).Resource;
        var directory = Path.Combine(builder.AppHostDirectory, ".redis", name);
        var resource = new RedisExecutableResource(name, executable, directory, passwordParameter);

        return builder.AddResource(resource)
            .WithEndpoint(port: port, scheme: "redis", name: RedisExecutableResource.PrimaryEndpointName)
            // The port is allocated when the process is created, after the file is written: it goes on the command line.
            // Only this machine's clients (through Aspire's proxy) reach it.
            .WithArgs(context =>
            {
                context.Args.Add(resource.ConfigurationFile);
                context.Args.Add("--port");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
            })
            .OnBeforeResourceStarted(async (redis, @event, ct) =>
            {
                var secret = await redis.PasswordParameter.GetValueAsync(ct).ConfigureAwait(false);
                Directory.CreateDirectory(directory);
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                await using var file = new StreamWriter(redis.ConfigurationFile, options);
                // Data lives as long as the process, as the container's does without a volume.
                await file.WriteAsync($"""
                    requirepass "{secret?.Replace("\\", "\\\\").Replace("\"", "\\\"")}"
                    save ""
                    appendonly no
                    logfile ""
                    dir {directory}

                    """).ConfigureAwait(false);
            })
            .WithAuthenticatedPingHealthCheck()
            .ExplainsStartFailures(StartFailureSubject.Redis);
    }
}
