using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// The AppHost run for real by DCP, as <c>dotnet run --project AppHost</c> runs it.
/// </summary>
public sealed class DragonflyRunTests
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);
    private static readonly string[] TerminalStates = ["Finished", "Exited", "FailedToStart"];

    [Fact]
    public async Task Local_binary_becomes_healthy_and_dependants_of_a_failed_environment_fail_with_its_reason()
    {
        var python = PythonOnPath.Version();
        if (python is null || PythonOnPath.Has("uv"))
        {
            Assert.Skip("Needs python3 and no uv on PATH (uv would download the Python this test asks for).");
        }
        // A Python that Airflow 3.0.3 supports but that python3 is not: the environment step must refuse it.
        var other = new[] { "3.9", "3.10", "3.11", "3.12" }.First(v => v != python);

        await using var app = await RunningAppHost.StartAsync(StartBound,
            $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}", $"--Airflow:PythonVersion={other}");

        await app.WaitForHealthyAsync("dragonfly", StartBound);
        var environment = await app.WaitForStateAsync("airflow-env", StartBound, TerminalStates);
        Assert.Equal(1, environment.Snapshot.ExitCode);
        await app.WaitForLogAsync("airflow-env", $"Airflow:PythonVersion is {other}", StartBound);
        foreach (var dependant in new[] { "airflow-migrate", "airflow-api", "airflow-scheduler", "verifier" })
        {
            var state = await app.WaitForStateAsync(dependant, StartBound, TerminalStates);
            Assert.Equal("FailedToStart", state.Snapshot.State?.Text);
        }
        Assert.DoesNotContain(app.Log("dragonfly"), line => line.Contains("ERROR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_container_engine_Dragonfly_says_what_is_missing_and_how_to_fix_it()
    {
        if (await Prerequisites.ContainerEngineRunsAsync())
        {
            Assert.Skip("A container engine runs on this machine (`docker info` succeeded); this test covers machines without one.");
        }

        // As under `dotnet run`: do not wait 30 s for an engine that is not there.
        await using var app = await RunningAppHost.StartAsync(StartBound, "--DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00");

        await app.WaitForLogAsync("dragonfly", "no container engine is running", StartBound);
        var line = app.Log("dragonfly").First(l => l.Contains("no container engine", StringComparison.Ordinal));
        Assert.Contains("--Dragonfly:Executable=", line);
        Assert.Contains("start Docker or Podman", line);
        var verifier = await app.WaitForStateAsync("verifier", StartBound, TerminalStates);
        Assert.Equal("FailedToStart", verifier.Snapshot.State?.Text);
    }
}
