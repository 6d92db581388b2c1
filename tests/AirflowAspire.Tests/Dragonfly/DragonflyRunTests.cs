using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// The AppHost run for real by DCP, as <c>dotnet run --project AppHost</c> runs it.
/// </summary>
[Collection(ContainerEngineCollection.Name)]
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
        var other = new[] { "3.10", "3.11", "3.12", "3.13" }.First(v => v != python);

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
    public async Task A_local_binary_that_exits_at_start_is_explained_and_what_waits_for_it_stops()
    {
        // A binary that starts and exits before it serves, as a Dragonfly given a flag it does not know does: Aspire saw it
        // Running, so what waited for it to become healthy waited for ever.
        using var folder = new TemporaryFolder();
        var binary = Path.Combine(folder.Path, "dragonfly");
        await File.WriteAllTextAsync(binary, "#!/bin/sh\necho 'this test binary always exits at start' >&2\nexit 3\n", TestContext.Current.CancellationToken);
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Needs a POSIX shell script as the binary.");
        }
        else
        {
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await using var run = await StartFailureRun.StartAsync($"--Dragonfly:Executable={binary}");

        var explanation = await run.ExplanationAsync("dragonfly", "Dragonfly exited at start with exit code 3: \"this test binary always exits at start\"");
        Assert.Contains($"run {binary} by hand", explanation);
        Assert.Contains("Dragonfly:Executable", explanation);
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation);
    }

    [Fact]
    public async Task Without_a_container_engine_Dragonfly_says_what_is_missing_and_how_to_fix_it()
    {
        // The engine out of reach, as on a machine where none runs: the docker CLI that DCP runs reads DOCKER_HOST.
        // As under `dotnet run`: do not wait 30 s for an engine that is not there.
        var run = await ContainerEngine.OutOfReachAsync(() => StartFailureRun.StartAsync("--DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00"));
        await using var _ = run;

        var explanation = await run.ExplanationAsync("dragonfly",
            "Dragonfly cannot start: it runs as a container and no container engine is running. Fix: start Docker or Podman and run " +
            "the AppHost again, or run a local Dragonfly binary instead: dotnet run --project AppHost -- --Dragonfly:Executable=/path/to/dragonfly");
        await run.AssertDependentsFailNamingAsync("dragonfly", explanation);
    }
}
