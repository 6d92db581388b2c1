using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Verifier;

/// <summary>The deployment's state on the dashboard after a run of the Verifier: its verdict, read from the report.</summary>
public sealed class VerificationStateTests
{
    [Theory]
    [InlineData("""{"verdict":"passed","checks":[{"name":"run-succeeded","passed":true}]}""", 0, "Verified", "success")]
    [InlineData("""{"verdict":"failed","checks":[{"name":"api-reachable","passed":true},{"name":"dag-parsed","passed":false},{"name":"run-succeeded","passed":false}]}""", 1, "Not verified: dag-parsed", "error")]
    [InlineData("""{"verdict":"passed","checks":[]}""", 1, "Not verified (exit code 1)", "error")]
    [InlineData("not json", 1, "Not verified: no readable report (exit code 1)", "error")]
    [InlineData(null, 134, "Not verified: no readable report (exit code 134)", "error")]
    [InlineData(null, 2, "Not verified: the Verifier was started without its settings (see its log)", "error")]
    public void The_state_names_the_verdict_and_the_first_failed_check(string? report, int exitCode, string state, string style)
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "verifier-report.json");
        if (report is not null)
        {
            File.WriteAllText(path, report);
        }

        var snapshot = VerificationState.FromReport(path, exitCode);

        Assert.Equal((state, style), (snapshot.Text, snapshot.Style));
    }
}
