using AirflowAspire.AppHost.StartFailures;

namespace AirflowAspire.Tests.StartFailures;

/// <summary>
/// The one-line explanations, from the lines DCP and Docker really wrote (TestData/StartFailures/, recorded on Docker 20.10
/// with runc 1.1): each names what failed, the setting to change and the fix, and waits for the end only when a retry could
/// still succeed.
/// </summary>
public sealed class StartFailureRulesTests
{
    private static readonly StartFailureFacts TestImage = new("localhost", "airflowaspire-tests/dragonfly", "v1.40.1", null, null);

    [Fact]
    public void Runc_refusing_the_memlock_limit_is_final_and_names_the_setting_that_asked_for_it()
    {
        var finding = FirstFinding("memlock-refused.log", TestImage with { MemlockLimit = -1 });

        Assert.NotNull(finding);
        Assert.True(finding.Final);
        Assert.StartsWith("Dragonfly cannot start: the container engine may not raise the container's locked-memory limit (RLIMIT_MEMLOCK) to unlimited, which Dragonfly:MemlockLimit asks for", finding.Message);
        Assert.Contains("runc: \"error setting rlimit type 8: operation not permitted\"", finding.Message);
        Assert.Contains("Fix: remove Dragonfly:MemlockLimit", finding.Message);
    }

    [Fact]
    public void Runc_refusing_a_limit_nobody_set_through_the_setting_does_not_name_the_setting()
    {
        var finding = FirstFinding("memlock-refused.log", TestImage);

        Assert.NotNull(finding);
        Assert.True(finding.Final);
        Assert.DoesNotContain("MemlockLimit", finding.Message);
        Assert.Contains("resource limit 8", finding.Message);
        Assert.Contains("Fix: remove the --ulimit", finding.Message);
    }

    [Fact]
    public void A_registry_that_does_not_answer_waits_for_the_orchestrator_to_give_up_then_names_the_registry_setting()
    {
        var facts = TestImage with { Registry = "localhost:1" };
        var lines = Lines("registry-unreachable.log");
        var finding = FirstFinding("registry-unreachable.log", facts);

        Assert.NotNull(finding);
        Assert.False(finding.Final);
        var message = StartFailureRules.FromEnd(StartFailureSubject.Dragonfly, facts, KnownResourceStates.FailedToStart, null, lines, finding);
        Assert.StartsWith("Dragonfly cannot start: its image localhost:1/airflowaspire-tests/dragonfly:v1.40.1 is not on this machine and the registry localhost:1 cannot be reached (Get \"http://localhost:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused)", message);
        Assert.Contains("set Dragonfly:Registry to a mirror that serves it", message);
        Assert.EndsWith("--Dragonfly:Executable=/path/to/dragonfly.", message);
    }

    [Fact]
    public void Dragonfly_s_own_registry_unreachable_from_an_offline_machine_says_so_and_offers_a_mirror_or_the_binary()
    {
        var facts = new StartFailureFacts("docker.dragonflydb.io", "dragonflydb/dragonfly", "v1.40.1", null, null);
        var finding = FirstFinding("registry-offline.log", facts);

        Assert.NotNull(finding);
        Assert.False(finding.Final);
        Assert.StartsWith("Dragonfly cannot start: its image docker.dragonflydb.io/dragonflydb/dragonfly:v1.40.1 is not on this machine and the registry docker.dragonflydb.io cannot be reached (Get \"https://docker.dragonflydb.io/v2/\": dial tcp: lookup docker.dragonflydb.io on RESOLVER:53: no such host)", finding.Message);
    }

    [Fact]
    public void A_tag_the_registry_lacks_is_final_and_names_the_tag_setting()
    {
        var finding = FirstFinding("tag-missing.log", new("127.0.0.1:15000", "airflowaspire-tests/dragonfly", "v1.99.0", null, null));

        Assert.NotNull(finding);
        Assert.True(finding.Final);
        Assert.StartsWith("Dragonfly cannot start: the registry 127.0.0.1:15000 has no tag v1.99.0 of airflowaspire-tests/dragonfly (manifest for ", finding.Message);
        Assert.Contains("Fix: set Dragonfly:ImageTag to a tag the registry has", finding.Message);
    }

    [Fact]
    public void A_container_that_exits_at_start_is_quoted_by_its_last_error_line_with_the_fix_for_it()
    {
        var lines = Lines("container-exits.log");
        Assert.Null(FirstFinding("container-exits.log", TestImage));

        var message = StartFailureRules.FromEnd(StartFailureSubject.Dragonfly, TestImage, KnownResourceStates.Exited, 1, lines, null);

        Assert.StartsWith("Dragonfly exited at start with exit code 1: \"ERROR: Unknown environment variable DFLY_PASSWORD\". Fix: remove that variable", message);
        Assert.Contains("It comes from the image (localhost/airflowaspire-tests/dragonfly:v1.40.1)", message);
    }

    [Fact]
    public void A_binary_that_exits_silently_is_said_to_have_printed_nothing_not_quoted_by_Aspire_s_own_lines()
    {
        var facts = new StartFailureFacts(null, null, null, "/bin/false", null);

        var message = StartFailureRules.FromEnd(StartFailureSubject.Dragonfly, facts, KnownResourceStates.Finished, 1, Lines("binary-exits.log"), null);

        Assert.StartsWith("Dragonfly exited at start with exit code 1 and printed nothing. Fix: read its log above, or run /bin/false by hand", message);
        Assert.Contains("Dragonfly:Executable", message);
    }

    [Fact]
    public void Dragonfly_failing_to_set_up_io_uring_is_pointed_at_the_memlock_setting()
    {
        // Dragonfly's own line where io_uring could not be set up (dragonflydb/dragonfly#174, in a container).
        (string, bool)[] lines = [("F20220624 06:36:54.917619     8 proactor.cc:432] Error initializing io_uring: (1) Operation not permitted", true)];

        var message = StartFailureRules.FromEnd(StartFailureSubject.Dragonfly, TestImage, KnownResourceStates.Exited, 134, lines, null);

        Assert.Contains("Error initializing io_uring", message);
        Assert.Contains("Fix: set Dragonfly:MemlockLimit=unlimited", message);
    }

    [Theory]
    [InlineData("Dragonfly", "run a local Dragonfly binary instead: dotnet run --project AppHost -- --Dragonfly:Executable=/path/to/dragonfly")]
    [InlineData("Redis", "run a local redis-server instead: dotnet run --project AppHost -- --Airflow:Broker=redis --Redis:Executable=/usr/bin/redis-server")]
    [InlineData("PostgreSQL", "keep Airflow's metadata in SQLite, which needs no engine: leave Airflow:Database unset (sqlite)")]
    public void No_engine_says_start_one_or_what_runs_without_one(string product, string alternative)
    {
        var subject = new[] { StartFailureSubject.Dragonfly, StartFailureSubject.Redis, StartFailureSubject.PostgreSql }.Single(s => s.Product == product);

        var message = StartFailureRules.FromEnd(subject, TestImage, KnownResourceStates.RuntimeUnhealthy, null, [], null);

        Assert.Equal($"{product} cannot start: it runs as a container and no container engine is running. " +
            $"Fix: start Docker or Podman and run the AppHost again, or {alternative}", message);
    }

    private static StartFailure? FirstFinding(string file, StartFailureFacts facts)
    {
        StartFailure? pending = null;
        foreach (var (text, _) in Lines(file))
        {
            if (StartFailureRules.FromLine(StartFailureSubject.Dragonfly, facts, text) is { } finding)
            {
                if (finding.Final)
                {
                    return finding;
                }
                pending ??= finding;
            }
        }
        return pending;
    }

    /// <summary>The file's log, each entry's lines one by one as the explanation reads them.</summary>
    private static List<(string Text, bool IsError)> Lines(string file)
        => [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "StartFailures", file))
            .SelectMany(entry => entry[4..].Split("\\n").Select(text => (text, entry.StartsWith("ERR", StringComparison.Ordinal))))];
}
