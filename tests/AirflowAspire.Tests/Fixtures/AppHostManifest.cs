using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The AppHost's published manifest, made in process as
/// <c>dotnet run --project AppHost -- --operation publish --publisher manifest --output-path DIR</c> makes it: the AppHost's
/// own entry point, through <see cref="DistributedApplicationTestingBuilder"/>, run until Aspire's manifest step has written
/// the file and stopped the application. Nothing is started: publishing starts no process.
/// </summary>
public static class AppHostManifest
{
    /// <summary>The arguments that make the AppHost publish its manifest into <paramref name="outputPath"/>.</summary>
    public static string[] PublishArguments(string outputPath) => ["--operation", "publish", "--publisher", "manifest", "--output-path", outputPath];

    /// <summary>Publishes the manifest with the given settings and returns its <c>resources</c>.</summary>
    /// <remarks>
    /// In the testing builder the entry point's own <c>Run()</c> starts the application once it is built; in publish mode that
    /// runs the manifest step, which stops the application when the file is written. A publishing error (a setting refused,
    /// <c>BeforeStartEvent</c> throwing) surfaces from <c>StartAsync</c>. Bounded: 60 s.
    /// </remarks>
    public static async Task<JsonObject> PublishAsync(params string[] args)
    {
        using var output = new TemporaryFolder();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [.. args, .. PublishArguments(output.Path), "--hostBuilder:reloadConfigOnChange=false"], bound.Token);
        await using (var app = await builder.BuildAsync(bound.Token))
        {
            await app.StartAsync(bound.Token);
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopped).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(bound.Token);
        }

        var file = Path.Combine(output.Path, "aspire-manifest.json");
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"Publishing stopped without writing {file}: the manifest step failed (see the test's log).");
        }
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken))!;
        return manifest["resources"]!.AsObject();
    }

    /// <summary>Every string in <paramref name="node"/> and below it, values and property names alike.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value).Prepend(p.Key)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };
}
