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

    /// <summary>Path of the Dragonfly stand-in built beside the tests.</summary>
    public static string DragonflyStandIn { get; } = Path.Combine(AppContext.BaseDirectory, "DragonflyStandIn");

    /// <summary>Builds the model without running it: nothing is started.</summary>
    /// <remarks>
    /// Once its model is built, the AppHost's entry point goes on to <c>Run()</c> in the background.
    /// Pointing DCP at a path that does not exist makes that start fail at once, so a model test
    /// starts no process. The app is not disposed by the tests: disposing a host whose start failed
    /// either waits out the 30 s shutdown timeout or, racing the failed start, throws from
    /// Host.StopAsync. Nothing of it runs, so nothing is left behind but the app's objects, and
    /// <c>hostBuilder:reloadConfigOnChange=false</c> keeps those from holding file watchers: each
    /// watched appsettings.json and user-secrets file took an inotify instance, of the 128 Linux gives
    /// a user, and a suite that kept dozens of them open failed beside a running AppHost.
    /// </remarks>
    public static async Task<DistributedApplication> BuildAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [.. args, "--DcpPublisher:CliPath=/nonexistent/dcp", "--hostBuilder:reloadConfigOnChange=false"], TestContext.Current.CancellationToken);
        return builder.Build();
    }

    public static T Resource<T>(this DistributedApplication app, string name) where T : IResource
        => app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<T>().Single(r => r.Name == name);

    /// <summary>Gives a resource's endpoint the address and port DCP would allocate at start.</summary>
    public static void AllocateEndpoint(this IResourceWithEndpoints resource, string name, int port, int? targetPort = null)
    {
        var annotation = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == name);
        annotation.AllocatedEndpoint = new AllocatedEndpoint(annotation, "localhost", port, targetPortExpression: (targetPort ?? port).ToString());
    }

    /// <summary>The environment the resource's process would get, every reference resolved.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(this DistributedApplication app, IResource resource)
    {
        using var bound = Bound(resource);
        var result = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, bound.Token);
        return result.EnvironmentVariables.ToDictionary();
    }

    /// <summary>The command-line arguments the resource's process would get, every reference resolved.</summary>
    public static async Task<IReadOnlyList<string>> ArgumentsAsync(this DistributedApplication app, IResource resource)
    {
        using var bound = Bound(resource);
        var result = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig()
            .BuildAsync(app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, bound.Token);
        return result.Arguments.Select(a => a.Value).ToList();
    }

    /// <summary>
    /// Gives every endpoint of the model that has none yet an address, as DCP would at start; without it a
    /// reference to the endpoint waits for an allocation that never comes.
    /// </summary>
    public static void AllocateAllEndpoints(this DistributedApplication app, int firstPort = 18000)
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

    /// <summary>Resolving waits for endpoint allocations: a missing one fails the test in seconds instead of hanging it.</summary>
    private static CancellationTokenSource Bound(IResource resource)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(10));
        bound.Token.Register(() => TestContext.Current.TestOutputHelper?.WriteLine(
            $"Resolving {resource.Name}'s configuration took over 10 s: an endpoint it references has no allocation (AllocateAllEndpoints)."));
        return bound;
    }

    /// <summary>The resource as Celery's broker: the URLs Airflow's processes get for it.</summary>
    public static AirflowAspire.AppHost.Airflow.CeleryBroker AsCeleryBroker(this IResource resource) => AirflowAspire.AppHost.Airflow.CeleryBroker.For(resource);

    public static async Task<string> ResolveAsync(this ReferenceExpression expression)
        => await expression.GetValueAsync(TestContext.Current.CancellationToken)
           ?? throw new InvalidOperationException($"'{expression.ValueExpression}' resolved to null");
}
