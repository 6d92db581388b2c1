using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StandIn;

/// <summary>
/// The stand-in's <c>airflow</c> commands run directly, without the AppHost: one-shot commands with their exit code and
/// their stdout and stderr apart, long-running ones with their output collected, and the REST API signed in as
/// <c>admin</c>. Everything started is killed on dispose.
/// </summary>
internal sealed class StandInProcesses : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly List<(string Name, Process Process, ConcurrentQueue<string> Output)> _started = [];

    public StandInProcesses(AirflowStandIn standIn, IDictionary<string, string>? environment = null)
    {
        StandIn = standIn;
        Home = Path.Combine(standIn.Folder, "home");
        Directory.CreateDirectory(Home);
        Environment = new Dictionary<string, string>
        {
            ["AIRFLOW_HOME"] = Home,
            ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False",
            ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin",
            ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = Path.Combine(Home, "passwords.json"),
            ["PYTHONUNBUFFERED"] = "1",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            Environment[key] = value;
        }
        File.WriteAllText(Path.Combine(Home, "passwords.json"), JsonSerializer.Serialize(new { admin = AdminPassword }));
    }

    public AirflowStandIn StandIn { get; }

    /// <summary><c>AIRFLOW_HOME</c>.</summary>
    public string Home { get; }

    public Dictionary<string, string> Environment { get; }

    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N");

    /// <summary>The repository's sample project (tests/SampleProject).</summary>
    public static string SampleProject { get; } = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "SampleProject"));

    private string Airflow => Path.Combine(StandIn.VirtualEnvironment, "bin", "airflow");

    /// <summary>Runs <c>airflow ARGS</c> to its end (bounded).</summary>
    public Task<CommandResult> AirflowAsync(params string[] args) => RunAsync(Airflow, args);

    /// <summary>Runs the environment's Python on <paramref name="code"/> (the stand-in's modules are importable).</summary>
    public Task<CommandResult> PythonAsync(string code) => RunAsync(Path.Combine(StandIn.VirtualEnvironment, "bin", "python"), "-c", code);

    private async Task<CommandResult> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(Bound);
        await process.WaitForExitAsync(bound.Token);
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>airflow ARGS</c> in the background; its output is collected under <paramref name="name"/>.</summary>
    public void Start(string name, params string[] args)
    {
        var start = new ProcessStartInfo(Airflow, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }
        var output = new ConcurrentQueue<string>();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { output.Enqueue(line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { output.Enqueue(line); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _started.Add((name, process, output));
    }

    /// <summary>Everything the started processes printed so far.</summary>
    public string Output(string? name = null) => string.Join('\n', _started.Where(s => name is null || s.Name == name).SelectMany(s => s.Output));

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, naming <paramref name="what"/> and the processes' output otherwise.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {bound ?? Bound}: {what}\n{Output()}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>An HTTP client of the api-server at <paramref name="port"/> with a token of <c>admin</c> (<c>POST /auth/token</c>).</summary>
    public async Task<HttpClient> SignInAsync(int port)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var response = await client.PostAsJsonAsync("/auth/token", new { username = "admin", password = AdminPassword });
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
                var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the api-server answers POST /auth/token");
        return client;
    }

    public void Dispose()
    {
        foreach (var (_, process, _) in _started)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            process.Dispose();
        }
    }
}

/// <summary>How a one-shot command ended.</summary>
internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
