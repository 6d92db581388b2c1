using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow.DagFiles;

/// <summary>
/// The deployment's row on the dashboard, one state from two sources: the Verifier's verdict (<c>VerificationState</c>:
/// Verifying, Verified, Not verified: CHECK) and the DAG files (<see cref="DagFilesStatus"/>), e.g.
/// <c>Verified; 4 DAGs, 1 import error (dags/weekly_forecast.py)</c>. Verified with an import error is a warning: the
/// stack is proven, a file of the project is not. The figures are properties of the row too.
/// </summary>
public sealed class DeploymentRow
{
    /// <summary>The row's property with the number of DAGs.</summary>
    public const string DagCountProperty = "airflow.dags";

    /// <summary>The row's property with the files that did not import, comma-separated.</summary>
    public const string ImportErrorsProperty = "airflow.import_errors";

    private readonly Lock _gate = new();
    private ResourceStateSnapshot? _verdict;
    private DagFilesSummary? _dagFiles;

    /// <summary>Shows the Verifier's verdict (or that it runs).</summary>
    public Task ShowVerdictAsync(ResourceNotificationService notifications, IResource deployment, ResourceStateSnapshot verdict)
    {
        lock (_gate)
        {
            _verdict = verdict;
        }
        return PublishAsync(notifications, deployment);
    }

    /// <summary>Shows what Airflow made of the DAG files; nothing is published when it did not change.</summary>
    public Task ShowDagFilesAsync(ResourceNotificationService notifications, IResource deployment, DagFilesSummary dagFiles)
    {
        lock (_gate)
        {
            if (dagFiles.Equals(_dagFiles))
            {
                return Task.CompletedTask;
            }
            _dagFiles = dagFiles;
        }
        return PublishAsync(notifications, deployment);
    }

    /// <summary>The row's state from a verdict and a summary, either of which may be missing yet.</summary>
    public static ResourceStateSnapshot Compose(ResourceStateSnapshot? verdict, DagFilesSummary? dagFiles, string current)
    {
        var text = verdict?.Text ?? current;
        if (dagFiles is null)
        {
            return new(text, verdict?.Style ?? KnownResourceStateStyles.Info);
        }
        var errors = dagFiles.ImportErrorFiles.Count > 0;
        var style = verdict?.Style is not { } kept ? (errors ? KnownResourceStateStyles.Warn : KnownResourceStateStyles.Info)
            : kept == KnownResourceStateStyles.Success && errors ? KnownResourceStateStyles.Warn
            : kept;
        return new($"{text}; {dagFiles}", style);
    }

    private Task PublishAsync(ResourceNotificationService notifications, IResource deployment)
        => notifications.PublishUpdateAsync(deployment, snapshot =>
        {
            ResourceStateSnapshot? verdict;
            DagFilesSummary? dagFiles;
            lock (_gate)
            {
                (verdict, dagFiles) = (_verdict, _dagFiles);
            }
            // Before any verdict the row keeps what it says (Configured), without an earlier summary.
            var current = snapshot.State?.Text is { } text ? text.Split("; ", 2)[0] : "Running";
            var properties = snapshot.Properties.Where(p => p.Name is not (DagCountProperty or ImportErrorsProperty)).ToImmutableArray();
            if (dagFiles is not null)
            {
                properties = properties.Add(new(DagCountProperty, dagFiles.DagCount)).Add(new(ImportErrorsProperty, string.Join(", ", dagFiles.ImportErrorFiles)));
            }
            return snapshot with { State = Compose(verdict, dagFiles, current), Properties = properties };
        });
}
