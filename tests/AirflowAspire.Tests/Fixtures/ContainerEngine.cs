using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The Docker engine the container tests run the AppHost's containers on, and the test images they name through the
/// AppHost's image settings (built by <c>tests/container-images/build</c> from files on this machine: no registry is needed).
/// The images live under <c>localhost/airflowaspire-tests/</c>, a name no registry serves, so no user's image is shadowed.
/// </summary>
public static class ContainerEngine
{
    /// <summary>The registry part of the test images' names.</summary>
    public const string TestRegistry = "localhost";

    /// <summary>The Dragonfly stand-in behind Dragonfly's image entrypoint (tag v1.40.1, the command line it models).</summary>
    public const string DragonflyImage = "airflowaspire-tests/dragonfly";

    /// <summary>The same, with <c>DFLY_PASSWORD</c> set in the image: it exits at start, as Dragonfly v1.40.1 does.</summary>
    public const string DragonflyExitsImage = "airflowaspire-tests/dragonfly-exits";

    /// <summary>Debian's redis-server and a shell, tagged 8.6 as the AppHost's pinned Redis.</summary>
    public const string RedisImage = "airflowaspire-tests/redis";

    /// <summary>Debian's PostgreSQL server behind an entrypoint that does what the official image's does with Aspire's variables.</summary>
    public const string PostgresImage = "airflowaspire-tests/postgres";

    /// <summary>
    /// The PostgreSQL test image's tag: the major version of Debian's postgresql on this machine (the build names it so),
    /// the newest under /usr/lib/postgresql; null where none is installed (then the image build fails, saying so).
    /// </summary>
    public static string? PostgresTag { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
            .Where(folder => File.Exists(Path.Combine(folder, "bin", "postgres")) && int.TryParse(Path.GetFileName(folder), out _))
            .Select(folder => Path.GetFileName(folder)).OrderBy(int.Parse).LastOrDefault()
        : null;

    /// <summary>The AppHost arguments that run Dragonfly from the test image.</summary>
    public static string[] DragonflyTestImage { get; } = [$"--Dragonfly:Registry={TestRegistry}", $"--Dragonfly:Image={DragonflyImage}"];

    /// <summary>
    /// The environment's <c>DOCKER_HOST</c> when the tests started: the no-engine test points the variable at nothing while
    /// its AppHost starts, and <c>docker</c> run by other tests meanwhile must still reach the engine.
    /// </summary>
    public static string? OriginalDockerHost { get; } = Environment.GetEnvironmentVariable("DOCKER_HOST");

    /// <summary>
    /// Runs <paramref name="start"/> with <c>DOCKER_HOST</c> pointing at a socket that does not exist, as on a machine where
    /// no engine runs, then puts the variable back. DCP copies the environment when it starts, so an AppHost started here
    /// keeps that. Only for tests of <see cref="ContainerEngineCollection"/>, which run one at a time; the docker commands
    /// other tests run meanwhile get <see cref="OriginalDockerHost"/>.
    /// </summary>
    public static async Task<T> OutOfReachAsync<T>(Func<Task<T>> start)
    {
        // Read before the change: the property keeps the value it had when first read.
        var original = OriginalDockerHost;
        Environment.SetEnvironmentVariable("DOCKER_HOST", "unix:///nonexistent/airflowaspire-no-engine.sock");
        try
        {
            return await start();
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_HOST", original);
        }
    }

    private static readonly Lazy<Task<string?>> Unavailable = new(FindUnavailableAsync);
    private static readonly Lazy<Task<string?>> ImagesMissing = new(BuildImagesAsync);

    /// <summary>Skips the calling test, saying what is missing, unless the engine answers; then builds the test images once.</summary>
    public static async Task RequireAsync()
    {
        if (await Unavailable.Value is { } reason)
        {
            Assert.Skip($"Needs a running Docker engine: {reason}. CI's .ci/run installs docker.io and starts dockerd.");
        }
        if (await ImagesMissing.Value is { } failure)
        {
            throw new InvalidOperationException($"tests/container-images/build failed: {failure}");
        }
    }

    /// <summary>Runs <c>docker</c> with the arguments, bounded, and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> DockerAsync(TimeSpan bound, params string[] arguments)
    {
        using var docker = Process.Start(ReachingTheEngine(new ProcessStartInfo("docker", arguments)))!;
        var output = docker.StandardOutput.ReadToEndAsync();
        var errors = docker.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await docker.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            docker.Kill(entireProcessTree: true);
            return (-1, $"docker {string.Join(' ', arguments)} did not end within {bound.TotalSeconds} s");
        }
        return (docker.ExitCode, (await output) + (await errors));
    }

    /// <summary>The process's output redirected, and <c>DOCKER_HOST</c> as it was when the tests started.</summary>
    public static ProcessStartInfo ReachingTheEngine(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        if (OriginalDockerHost is null)
        {
            start.Environment.Remove("DOCKER_HOST");
        }
        else
        {
            start.Environment["DOCKER_HOST"] = OriginalDockerHost;
        }
        return start;
    }

    private static async Task<string?> FindUnavailableAsync()
    {
        try
        {
            var (exitCode, output) = await DockerAsync(TimeSpan.FromSeconds(20), "info", "--format", "{{.ServerVersion}}");
            return exitCode == 0 ? null : $"`docker info` failed ({output.Trim().Split('\n').LastOrDefault()})";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "no docker command on PATH";
        }
    }

    private static async Task<string?> BuildImagesAsync()
    {
        var script = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "container-images", "build"));
        using var build = Process.Start(ReachingTheEngine(new ProcessStartInfo(script)))!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await build.WaitForExitAsync(timeout.Token);
        return build.ExitCode == 0 ? null : $"exit {build.ExitCode}: {await errors}{await output}";
    }
}

/// <summary>The tests that run containers on the engine: one after another (they share it), beside the rest of the suite.</summary>
[CollectionDefinition(Name)]
public sealed class ContainerEngineCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Container engine";
}
