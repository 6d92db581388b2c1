using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The AppHost's model, built (not started) through <see cref="DistributedApplicationTestingBuilder"/>
/// with the given settings, and ways to resolve what a resource would be started with.
/// </summary>
public static class AppHostModel
{
    /// <summary>The AppHost project's folder.</summary>
    public static string AppHostDirectory { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "AppHost"));

    /// <summary>
    /// The Verifier as the AppHost starts it: from its own project's build output (same configuration as the tests), with
    /// its own dependencies; the copy beside the tests lacks the packages the tests get from a shared framework instead.
    /// </summary>
    public static string VerifierDll { get; } = Path.GetFullPath(Path.Combine(AppHostDirectory, "..", "Verifier", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, new DirectoryInfo(AppContext.BaseDirectory).Name, "Verifier.dll"));

    /// <summary>The AppHost as built (with the tests' configuration), to run as a process of its own.</summary>
    public static string AppHostDll { get; } = Path.GetFullPath(Path.Combine(AppHostDirectory, "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, new DirectoryInfo(AppContext.BaseDirectory).Name, "AppHost.dll"));

    /// <summary>The Airflow release the AppHost installs by default: <c>Airflow:Version</c> in its appsettings.json, the one place it is pinned.</summary>
    public static string DefaultAirflowVersion { get; } = System.Text.Json.Nodes.JsonNode.Parse(
        File.ReadAllText(Path.Combine(AppHostDirectory, "appsettings.json")))!["Airflow"]!["Version"]!.GetValue<string>();

    /// <summary>Path of the Dragonfly stand-in built beside the tests.</summary>
    public static string DragonflyStandIn { get; } = Path.Combine(AppContext.BaseDirectory, "DragonflyStandIn");

    /// <summary>Builds the model without running it: nothing is started. Dispose it (<c>await using</c>).</summary>
    /// <remarks>
    /// Once its model is built, the AppHost's entry point goes on to <c>Run()</c> in the background. Pointing DCP at a path
    /// that does not exist makes that start fail at once, so a model test starts no process.
    /// <c>shutdownTimeoutSeconds=0</c>: disposing waits up to the host's shutdown timeout (30 s by default) for the entry
    /// point to return, and it never returns here (DistributedApplicationFactory.DisposeAsync); with nothing running there
    /// is nothing to wait for, and the app is disposed in milliseconds.
    /// <c>hostBuilder:reloadConfigOnChange=false</c>: no file watchers (each watched appsettings.json and user-secrets file
    /// took an inotify instance, of the 128 Linux gives a user).
    /// </remarks>
    public static async Task<App> BuildAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [.. args, "--DcpPublisher:CliPath=/nonexistent/dcp", "--hostBuilder:reloadConfigOnChange=false", "--shutdownTimeoutSeconds=0"],
            TestContext.Current.CancellationToken);
        return new App(builder.Build());
    }

    /// <summary>Builds the model with <paramref name="args"/>, which must stop it with a bad setting; returns that setting's exception.</summary>
    public static async Task<AirflowAspire.AppHost.InvalidSettingException> InvalidSettingAsync(params string[] args)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => BuildAsync(args));
        return Assert.IsType<AirflowAspire.AppHost.InvalidSettingException>(exception.GetBaseException());
    }

    /// <summary>A built model of the AppHost, disposed with <c>await using</c>.</summary>
    public sealed class App(DistributedApplication app) : IHost, IAsyncDisposable
    {
        /// <inheritdoc />
        public IServiceProvider Services => app.Services;

        /// <inheritdoc />
        public Task StartAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("A model is never started.");

        /// <inheritdoc />
        public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        /// <inheritdoc />
        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

        /// <inheritdoc />
        public async ValueTask DisposeAsync()
        {
            try
            {
                await app.DisposeAsync();
            }
            catch (ArgumentNullException exception) when (exception.StackTrace?.Contains("Host.StopAsync", StringComparison.Ordinal) == true)
            {
                // Disposed while the entry point's Run() is still failing to start: Host.StopAsync then reads hosted services
                // the failed start never set (Microsoft.Extensions.Hosting's Host; Aspire.Hosting.Testing disposes through it).
                // Nothing was started, so nothing is left.
            }
        }
    }

    public static T Resource<T>(this IHost app, string name) where T : IResource
        => app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<T>().Single(r => r.Name == name);

    /// <summary>Gives a resource's endpoint the address and port DCP would allocate at start.</summary>
    public static void AllocateEndpoint(this IResourceWithEndpoints resource, string name, int port, int? targetPort = null)
    {
        var annotation = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == name);
        annotation.AllocatedEndpoint = new AllocatedEndpoint(annotation, "localhost", port, targetPortExpression: (targetPort ?? port).ToString());
    }

    /// <summary>The environment the resource's process would get, every reference resolved.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(this IHost app, IResource resource)
    {
        using var bound = Bound(resource);
        var result = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, bound.Token);
        ThrowIfCutShort(bound, resource);
        return result.EnvironmentVariables.ToDictionary();
    }

    /// <summary>The command-line arguments the resource's process would get, every reference resolved.</summary>
    public static async Task<IReadOnlyList<string>> ArgumentsAsync(this IHost app, IResource resource)
    {
        using var bound = Bound(resource);
        var result = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig()
            .BuildAsync(app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, bound.Token);
        ThrowIfCutShort(bound, resource);
        return result.Arguments.Select(a => a.Value).ToList();
    }

    /// <summary>
    /// Gives every endpoint of the model that has none yet an address, as DCP would at start; without it a
    /// reference to the endpoint waits for an allocation that never comes.
    /// </summary>
    public static void AllocateAllEndpoints(this IHost app, int firstPort = 18000)
    {
        var port = firstPort;
        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithEndpoints>())
        {
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.AllocatedEndpoint is null))
            {
                resource.AllocateEndpoint(endpoint.Name, port++, targetPort: port++);
            }
        }
    }

    /// <summary>Resolving waits for endpoint allocations: a missing one fails the test in 10 s instead of hanging it.</summary>
    private static CancellationTokenSource Bound(IResource resource)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(10));
        return bound;
    }

    /// <summary>A resolution cut short by <see cref="Bound"/> may return part of the configuration: that fails the test.</summary>
    private static void ThrowIfCutShort(CancellationTokenSource bound, IResource resource)
    {
        if (bound.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Resolving {resource.Name}'s configuration took over 10 s: an endpoint it references has no allocation (AllocateAllEndpoints).");
        }
    }

    /// <summary>The resource as Celery's broker: the URLs Airflow's processes get for it.</summary>
    public static AirflowAspire.AppHost.Airflow.CeleryBroker AsCeleryBroker(this IResource resource) => AirflowAspire.AppHost.Airflow.CeleryBroker.For(resource);

    public static async Task<string> ResolveAsync(this ReferenceExpression expression)
        => await expression.GetValueAsync(TestContext.Current.CancellationToken)
           ?? throw new InvalidOperationException($"'{expression.ValueExpression}' resolved to null");
}
