using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.EndToEnd;

/// <summary>
/// The real AppHost, started through <see cref="DistributedApplicationTestingBuilder"/>, on a real
/// Airflow and a real Dragonfly: it passes when the Verifier exits 0 with every check held. It runs
/// wherever both exist and is skipped, naming what is missing, everywhere else (our build machines).
/// </summary>
public sealed class EndToEndTests
{
    /// <summary>An existing virtual environment with Airflow installed, instead of installing one from PyPI.</summary>
    public const string VirtualEnvironmentVariable = "AIRFLOWASPIRE_E2E_VIRTUAL_ENVIRONMENT";

    /// <summary>A Dragonfly binary, instead of the container.</summary>
    public const string DragonflyVariable = "AIRFLOWASPIRE_E2E_DRAGONFLY_EXECUTABLE";

    // Installing Airflow the first time takes minutes; later runs reuse the environment.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task Real_Airflow_on_Dragonfly_runs_the_DAG_and_the_Verifier_proves_it()
    {
        var arguments = new List<string>();
        var missing = new List<string>();
        if (Environment.GetEnvironmentVariable(DragonflyVariable) is { Length: > 0 } dragonfly)
        {
            arguments.Add($"--Dragonfly:Executable={dragonfly}");
        }
        else if (!await Prerequisites.ContainerEngineRunsAsync())
        {
            missing.Add($"a container engine for the Dragonfly image (`docker info` fails) or a Dragonfly binary in {DragonflyVariable}");
        }
        if (Environment.GetEnvironmentVariable(VirtualEnvironmentVariable) is { Length: > 0 } venv)
        {
            arguments.Add($"--Airflow:VirtualEnvironment={venv}");
        }
        else if (await Prerequisites.PackageIndexUnreachableAsync() is { } index)
        {
            missing.Add($"a Python package index to install Airflow from ({index}) or an environment with Airflow in {VirtualEnvironmentVariable}");
        }
        if (missing.Count > 0)
        {
            Assert.Skip($"Needs {string.Join("; and ", missing)}. The stand-in end-to-end tests cover the rest on every CI run.");
        }

        using var folder = new TemporaryFolder();
        arguments.Add($"--Airflow:Home={Path.Combine(folder.Path, "home")}");
        await using var app = await RunningAppHost.StartAsync(Bound, [.. arguments]);

        var verifier = await app.WaitForStateAsync("verifier", Bound, "Finished", "Exited", "FailedToStart");

        Assert.True(verifier.Snapshot.ExitCode == 0, $"The Verifier exited {verifier.Snapshot.ExitCode}:\n{string.Join('\n', app.Log("verifier"))}");
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder.Path, "verifier-report.json"), TestContext.Current.CancellationToken));
        Assert.Equal("passed", report.RootElement.GetProperty("verdict").GetString());
        Assert.All(report.RootElement.GetProperty("checks").EnumerateArray(), check => Assert.True(check.GetProperty("passed").GetBoolean(), check.ToString()));
        TestContext.Current.TestOutputHelper?.WriteLine($"Trigger to success: {report.RootElement.GetProperty("trigger_to_terminal_seconds")} s");
    }
}
