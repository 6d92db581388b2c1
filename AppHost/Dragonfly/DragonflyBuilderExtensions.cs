using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.StartFailures;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>
/// Adds Dragonfly to the application model, as a container or a local binary, and configures it.
/// </summary>
public static class DragonflyBuilderExtensions
{
    /// <summary>The port Dragonfly listens on inside its container.</summary>
    public const int ContainerPort = 6379;

    /// <summary>The environment variable that hands Dragonfly its password without a command-line flag.</summary>
    public const string PasswordEnvironmentVariable = "DFLY_requirepass";

    private const string ContainerDataPath = "/data";

    /// <summary>
    /// Adds Dragonfly as a container of the pinned image (<see cref="DragonflyContainerImageTags"/>), with
    /// <see cref="DragonflyServerOptionsAnnotation.Default"/> server options until <see cref="WithThreads{T}"/> or
    /// <see cref="WithPersistence{T}"/> change them.
    /// </summary>
    /// <remarks>
    /// The resource has a health check (an authenticated PING), so <c>WaitFor(dragonfly)</c> waits
    /// until it accepts authenticated commands. The password is a secret parameter handed to Dragonfly
    /// as <c>DFLY_requirepass</c>, never on its command line.
    /// </remarks>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="port">The host port; a free one is chosen when null.</param>
    /// <param name="password">The password parameter; a generated secret one (<c>{name}-password</c>) when null.</param>
    public static IResourceBuilder<DragonflyResource> AddDragonfly(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        int? port = null,
        IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var resource = new DragonflyResource(name, PasswordOrGenerated(builder, name, password));
        return builder.AddResource(resource)
            .WithEndpoint(port: port, targetPort: ContainerPort, scheme: Scheme, name: IDragonflyResource.PrimaryEndpointName)
            .WithImage(DragonflyContainerImageTags.Image, DragonflyContainerImageTags.Tag)
            .WithImageRegistry(DragonflyContainerImageTags.Registry)
            // No raised locked-memory limit by default, though Dragonfly's documentation recommends --ulimit memlock=-1: engines
            // that may not raise it (rootless Podman, this kind of VM's Docker) refuse the container outright, while kernels from
            // 5.12 on account io_uring's rings through memcg and not this limit (dragonflydb/dragonfly#57); Dragonfly v1.40.1
            // set up io_uring and answered PING under a 64 KiB limit. WithMemlockLimit raises it where a host needs it.
            .WithServerDefaults()
            .ExplainsStartFailures(StartFailureSubject.Dragonfly);
    }

    /// <summary>
    /// Adds Dragonfly run from a local binary, for machines without a container engine; it listens on loopback only.
    /// Otherwise the same as <see cref="AddDragonfly"/>.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="executable">The path of the <c>dragonfly</c> binary.</param>
    /// <param name="port">The port clients connect to; a free one is chosen when null.</param>
    /// <param name="password">The password parameter; a generated secret one (<c>{name}-password</c>) when null.</param>
    public static IResourceBuilder<DragonflyExecutableResource> AddDragonflyExecutable(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        string executable,
        int? port = null,
        IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(executable);
        RefuseForeignDflyVariables();

        var resource = new DragonflyExecutableResource(name, executable, builder.AppHostDirectory, PasswordOrGenerated(builder, name, password));
        return builder.AddResource(resource)
            .WithEndpoint(port: port, scheme: Scheme, name: IDragonflyResource.PrimaryEndpointName)
            .WithArgs(context =>
            {
                // The container image adds --logtostderr itself; a bare binary logs to files without it.
                context.Args.Add("--logtostderr");
                context.Args.Add(ReferenceExpression.Create($"--port={resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort)}"));
                // Only this machine's clients (through Aspire's proxy) need to reach it, unless WithListenAddress says otherwise.
                context.Args.Add($"--bind={EndpointBinding.BindAddress(resource, IDragonflyResource.PrimaryEndpointName)}");
            })
            .WithServerDefaults()
            .ExplainsStartFailures(StartFailureSubject.Dragonfly);
    }

    /// <summary>
    /// Makes Dragonfly listen on <paramref name="address"/> (an address of this machine other hosts reach) on the fixed
    /// <paramref name="port"/>, instead of loopback on a free port, so that Celery workers on other hosts can use it.
    /// Every client, this machine's too, then connects to that address; the password still guards it.
    /// </summary>
    /// <param name="builder">The Dragonfly resource.</param>
    /// <param name="address">The IP address to listen on.</param>
    /// <param name="port">The port.</param>
    public static IResourceBuilder<T> WithListenAddress<T>(this IResourceBuilder<T> builder, string address, int port)
        where T : IDragonflyResource
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        // Not proxied: the server itself binds the address and port (an executable's --bind, a container's published port on
        // that host address), and clients get that address as the endpoint's host.
        return builder.WithEndpoint(IDragonflyResource.PrimaryEndpointName,
            endpoint => endpoint.FixOn(port, address, targetPortToo: builder.Resource is DragonflyExecutableResource));
    }

    /// <summary>
    /// Raises the container's locked-memory limit (RLIMIT_MEMLOCK) with the engine's <c>--ulimit memlock=</c>, for an old
    /// kernel (before 5.12) where io_uring's rings count against it and the engine's default is too low for Dragonfly.
    /// An engine that may not raise it refuses to start the container; the resource's log then says so.
    /// </summary>
    /// <param name="builder">The Dragonfly container.</param>
    /// <param name="bytes">The limit in bytes, or -1 for unlimited.</param>
    public static IResourceBuilder<DragonflyResource> WithMemlockLimit(this IResourceBuilder<DragonflyResource> builder, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, -1);
        ArgumentOutOfRangeException.ThrowIfZero(bytes);
        var value = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.WithAnnotation(new MemlockLimitAnnotation(bytes), ResourceAnnotationMutationBehavior.Replace)
            .WithContainerRuntimeArgs("--ulimit", $"memlock={value}:{value}");
    }

    /// <summary>
    /// Sets Dragonfly's I/O threads (<c>--proactor_threads</c>) and the memory limit that goes with them.
    /// </summary>
    /// <param name="builder">The Dragonfly resource.</param>
    /// <param name="proactorThreads">The number of I/O threads, 1 to 1024.</param>
    /// <param name="maxMemoryMiB">The memory limit; at least 256 MiB per thread, which is the default.</param>
    public static IResourceBuilder<T> WithThreads<T>(this IResourceBuilder<T> builder, int proactorThreads, int? maxMemoryMiB = null)
        where T : IDragonflyResource
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
    public static IResourceBuilder<T> WithPersistence<T>(this IResourceBuilder<T> builder, string? volumeName = null)
        where T : IDragonflyResource
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

    private const string Scheme = "redis";


    // No special characters: StackExchange.Redis cannot take a comma in a password
    // (StackExchange/StackExchange.Redis#680), and Aspire's Redis integration does the same.
    private static ParameterResource PasswordOrGenerated(IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource>? password)
        => password?.Resource
           ?? builder.AddResource(ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false)).Resource;

    /// <summary>What both forms share: the password in the environment, the server flags, the health check.</summary>
    private static IResourceBuilder<T> WithServerDefaults<T>(this IResourceBuilder<T> builder) where T : IDragonflyResource
    {
        var resource = builder.Resource;
        return builder
            .WithEnvironment(context =>
            {
                if (resource.PasswordParameter is { } password)
                {
                    context.EnvironmentVariables[PasswordEnvironmentVariable] = password;
                }
            })
            .WithAnnotation(DragonflyServerOptionsAnnotation.Default)
            .WithArgs(context =>
            {
                // The last annotation: WithThreads and WithPersistence replace it, in any order.
                foreach (var argument in resource.Annotations.OfType<DragonflyServerOptionsAnnotation>().Last().ToArguments())
                {
                    context.Args.Add(argument);
                }
            })
            .WithAuthenticatedPingHealthCheck();
    }

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
