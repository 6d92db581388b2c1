using System.Text.Json;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Verifier;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The verdict at a glance: the deployment's state on the dashboard's resources page follows the Verifier's runs,
/// "Verifying" while it runs, then "Verified" or "Not verified: CHECK" from its report (the verifier row itself only
/// says Finished, whatever the verdict).
/// </summary>
public static class VerificationState
{
    /// <summary>The state while the Verifier runs.</summary>
    public const string Verifying = "Verifying";

    /// <summary>The state after a run whose every check held.</summary>
    public const string Verified = "Verified";

    /// <summary>The start of the state after a run with a failed check.</summary>
    public const string NotVerified = "Not verified";

    /// <summary>Updates <paramref name="airflow"/>'s state from each run of <paramref name="verifier"/>.</summary>
    public static void Follow(IResourceBuilder<VerifierResource> verifier, IResourceBuilder<AirflowResource> airflow)
    {
        airflow.WatchInBackground((notifications, _, stopping) => WatchAsync(verifier.Resource, airflow.Resource, notifications, stopping),
            "The deployment's state no longer follows the Verifier's verdict");
    }

    /// <summary>The state a finished run leaves: from the report when there is one, else from the exit code.</summary>
    public static ResourceStateSnapshot FromReport(string reportPath, int? exitCode)
    {
        if (exitCode == 2)
        {
            return new($"{NotVerified}: the Verifier was started without its settings (see its log)", KnownResourceStateStyles.Error);
        }
        try
        {
            using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
            var root = report.RootElement;
            if (root.TryGetProperty("verdict", out var verdict) && verdict.GetString() == "passed" && exitCode == 0)
            {
                return new(Verified, KnownResourceStateStyles.Success);
            }
            var failed = root.TryGetProperty("checks", out var checks)
                ? checks.EnumerateArray().FirstOrDefault(c => c.TryGetProperty("passed", out var passed) && !passed.GetBoolean())
                : default;
            return failed.ValueKind == JsonValueKind.Object && failed.TryGetProperty("name", out var name)
                ? new($"{NotVerified}: {name.GetString()}", KnownResourceStateStyles.Error)
                : new($"{NotVerified} (exit code {exitCode?.ToString() ?? "unknown"})", KnownResourceStateStyles.Error);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return new($"{NotVerified}: no readable report (exit code {exitCode?.ToString() ?? "unknown"})", KnownResourceStateStyles.Error);
        }
    }

    private static async Task WatchAsync(VerifierResource verifier, AirflowResource airflow, ResourceNotificationService notifications,
        CancellationToken stopping)
    {
        DateTime? handledStop = null;
        var running = false;
        await foreach (var update in notifications.WatchAsync(stopping).ConfigureAwait(false))
        {
            if (update.Resource != verifier)
            {
                continue;
            }
            var snapshot = update.Snapshot;
            var state = snapshot.State?.Text;
            if (state == KnownResourceStates.Running && !running)
            {
                running = true;
                await airflow.Row.ShowVerdictAsync(notifications, airflow, new(Verifying, KnownResourceStateStyles.Info)).ConfigureAwait(false);
            }
            else if (state is not null && KnownResourceStates.TerminalStates.Contains(state) && running && snapshot.StopTimeStamp != handledStop)
            {
                running = false;
                handledStop = snapshot.StopTimeStamp;
                var verdict = FromReport(airflow.Paths.VerifierReport, snapshot.ExitCode);
                await airflow.Row.ShowVerdictAsync(notifications, airflow, verdict).ConfigureAwait(false);
            }
        }
    }
}
