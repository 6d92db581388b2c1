using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Dragonfly;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>
/// Adds Dragonfly to the application model and configures it.
/// </summary>
public static class DragonflyBuilderExtensions
{
    /// <summary>The port Dragonfly listens on inside its container.</summary>
    public const int ContainerPort = 6379;

    /// <summary>The environment variable that hands Dragonfly its password without a command-line flag.</summary>
    public const string PasswordEnvironmentVariable = "DFLY_requirepass";

    private const string ContainerDataPath = "/data";

    /// <summary>
    /// Adds a Dragonfly server, configured from the <c>Dragonfly</c> settings section
    /// (see <see cref="DragonflySettings"/>): a container by default, or the local binary
    /// named by <c>Dragonfly:Executable</c>.
    /// </summary>
    /// <remarks>
    /// The resource has a health check (an authenticated PING), so <c>WaitFor(dragonfly)</c> waits
    /// until it accepts authenticated commands. The password is a generated secret parameter
    /// handed to Dragonfly as <c>DFLY_requirepass</c>, never on its command line.
    /// </remarks>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="port">The host port; a free one is chosen when null.</param>
    /// <param name="password">The password parameter; a generated secret one when null.</param>
    public static IResourceBuilder<IDragonflyResource> AddDragonfly(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        int? port = null,
        IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var settings = DragonflySettings.From(builder.Configuration, RepositoryPaths.Top(builder.AppHostDirectory));

        // No special characters: StackExchange.Redis cannot take a comma in a password
        // (StackExchange/StackExchange.Redis#680), and Aspire's Redis integration does the same.
        var passwordParameter = password?.Resource
            ?? builder.AddResource(ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false)).Resource;

        var dragonfly = settings.Executable is { Length: > 0 } executable
            ? AddExecutable(builder, name, port, executable, passwordParameter)
            : AddContainer(builder, name, port, settings.ImageTag, passwordParameter);

        dragonfly
            .WithEnvironment(context => context.EnvironmentVariables[PasswordEnvironmentVariable] = passwordParameter)
            .WithAnnotation(new DragonflyServerOptionsAnnotation(settings.Threads, settings.EffectiveMaxMemoryMiB, SnapshotDirectory: null))
            .WithArgs(context =>
            {
                foreach (var argument in dragonfly.Resource.Annotations.OfType<DragonflyServerOptionsAnnotation>().Last().ToArguments())
                {
                    context.Args.Add(argument);
                }
            })
            .WithAuthenticatedPingHealthCheck();

        return settings.Persistent ? dragonfly.WithPersistence() : dragonfly;
    }

    /// <summary>
    /// Sets Dragonfly's I/O threads and the memory limit that goes with them.
    /// </summary>
    /// <param name="builder">The Dragonfly resource.</param>
    /// <param name="proactorThreads">The number of I/O threads.</param>
    /// <param name="maxMemoryMiB">The memory limit; at least 256 MiB per thread, which is the default.</param>
    public static IResourceBuilder<IDragonflyResource> WithProactorThreads(
        this IResourceBuilder<IDragonflyResource> builder, int proactorThreads, int? maxMemoryMiB = null)
    {
        var settings = new DragonflySettings { Threads = proactorThreads, MaxMemoryMiB = maxMemoryMiB };
        settings.Validate();
        var current = builder.Resource.Annotations.OfType<DragonflyServerOptionsAnnotation>().Last();
        return builder.WithAnnotation(
            current with { ProactorThreads = settings.Threads, MaxMemoryMiB = settings.EffectiveMaxMemoryMiB },
            ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Keeps data across restarts: snapshots on (at shutdown and every five minutes), written to a
    /// named data volume for a container, or to <c>.dragonfly/</c> beside the AppHost for a local binary.
    /// </summary>
    /// <param name="builder">The Dragonfly resource.</param>
    /// <param name="volumeName">The container's volume name; derived from the application and resource names when null.</param>
    public static IResourceBuilder<IDragonflyResource> WithPersistence(
        this IResourceBuilder<IDragonflyResource> builder, string? volumeName = null)
    {
        string directory;
        if (builder.Resource is DragonflyResource container)
        {
            builder.ApplicationBuilder.CreateResourceBuilder(container)
                .WithVolume(volumeName ?? VolumeNameGenerator.Generate(builder, "data"), ContainerDataPath);
            directory = ContainerDataPath;
        }
        else
        {
            directory = Path.Combine(builder.ApplicationBuilder.AppHostDirectory, ".dragonfly", builder.Resource.Name);
            Directory.CreateDirectory(directory);
        }

        var current = builder.Resource.Annotations.OfType<DragonflyServerOptionsAnnotation>().Last();
        return builder.WithAnnotation(current with { SnapshotDirectory = directory }, ResourceAnnotationMutationBehavior.Replace);
    }

    private static IResourceBuilder<IDragonflyResource> AddContainer(
        IDistributedApplicationBuilder builder, string name, int? port, string imageTag, ParameterResource password)
    {
        var resource = new DragonflyResource(name, password);
        builder.AddResource(resource)
            .WithEndpoint(port: port, targetPort: ContainerPort, scheme: DragonflyEndpoint.Scheme, name: DragonflyEndpoint.EndpointName)
            .WithImage(DragonflyContainerImageTags.Image, imageTag)
            .WithImageRegistry(DragonflyContainerImageTags.Registry)
            // Dragonfly's documentation recommends unlimited locked memory for its io_uring engine.
            .WithContainerRuntimeArgs("--ulimit", "memlock=-1");

        return builder.CreateResourceBuilder<IDragonflyResource>(resource)
            .ExplainState(ResourceStateExplanations.RuntimeUnhealthy, MissingContainerEngineMessage);
    }

    private static IResourceBuilder<IDragonflyResource> AddExecutable(
        IDistributedApplicationBuilder builder, string name, int? port, string executable, ParameterResource password)
    {
        RefuseForeignDflyVariables();

        var resource = new DragonflyExecutableResource(name, executable, builder.AppHostDirectory, password);
        builder.AddResource(resource)
            .WithEndpoint(port: port, scheme: DragonflyEndpoint.Scheme, name: DragonflyEndpoint.EndpointName)
            .WithArgs(context =>
            {
                // The container image adds --logtostderr itself; a bare binary logs to files without it.
                context.Args.Add("--logtostderr");
                context.Args.Add(ReferenceExpression.Create($"--port={resource.Endpoint.Reference.Property(EndpointProperty.TargetPort)}"));
                // Only this machine's clients (through Aspire's proxy) need to reach it.
                context.Args.Add("--bind=127.0.0.1");
            });
        return builder.CreateResourceBuilder<IDragonflyResource>(resource);
    }

    private static IResourceBuilder<IDragonflyResource> WithAuthenticatedPingHealthCheck(this IResourceBuilder<IDragonflyResource> builder)
    {
        // Registered as Aspire's Redis integration registers its own: the connection string,
        // password included, is captured when Aspire publishes it, and the check connects with it.
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(builder.Resource, async (_, ct) =>
        {
            connectionString = await builder.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"The connection string of '{builder.Resource.Name}' resolved to null.");
        });

        var key = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks()
            .AddRedis(_ => connectionString ?? throw new InvalidOperationException("The connection string is not available yet."), name: key);
        return builder.WithHealthCheck(key);
    }

    /// <summary>What Dragonfly's log says when no container engine is available.</summary>
    public const string MissingContainerEngineMessage =
        "Dragonfly cannot start: it runs as a container and no container engine is running. " +
        "Fix: start Docker or Podman and run the AppHost again, or run a local Dragonfly binary instead: " +
        "dotnet run --project AppHost -- --Dragonfly:Executable=/path/to/dragonfly";

    private static void RefuseForeignDflyVariables()
    {
        // Dragonfly reads every DFLY_-prefixed variable as a flag and aborts on an unknown one;
        // a local process inherits the AppHost's environment, so one left in the shell would stop it.
        var foreign = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(key => key.StartsWith("DFLY_", StringComparison.Ordinal) && key != PasswordEnvironmentVariable)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (foreign.Count > 0)
        {
            throw new InvalidOperationException(
                $"Environment variable(s) {string.Join(", ", foreign)} would reach the local Dragonfly started for Dragonfly:Executable, " +
                "and Dragonfly aborts on DFLY_ variables it does not know. Unset them before starting the AppHost.");
        }
    }
}
