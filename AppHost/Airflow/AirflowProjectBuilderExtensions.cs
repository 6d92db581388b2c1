using AirflowAspire.AppHost.Airflow;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The user's own Airflow project in a deployment, beside its DAGs folder: the connections, variables and pools Airflow
/// imports from files in its own formats (<c>airflow connections import</c>, <c>variables import</c>, <c>pools import</c>).
/// Each file is imported by a one-shot process after the migration; the scheduler starts once every import has completed,
/// so no task runs without them. Only the file's path is on the command line: its content (a connection's password) is
/// read by Airflow, never by the dashboard, and 3.0.3's import commands print ids and counts, never values.
/// </summary>
public static class AirflowProjectBuilderExtensions
{
    /// <summary>
    /// Adds <c>{deployment}-import-{kind}</c> for each file <c>Airflow:Connections</c>, <c>Airflow:Variables</c> and
    /// <c>Airflow:Pools</c> name (validated by <see cref="AirflowSettings.From"/>). Connections are imported with
    /// <c>--overwrite</c> and variables overwrite by default, so an edited file applies at the next start (without it 3.0.3
    /// prints "Could not import connection X: connection already exists." and keeps the old one); pools are created or updated.
    /// A published deployment has no file of this machine: nothing is added to its manifest (see README).
    /// </summary>
    public static IResourceBuilder<AirflowResource> WithProjectImports(this IResourceBuilder<AirflowResource> airflow)
    {
        var resource = airflow.Resource;
        if (resource.InContainers)
        {
            return airflow;
        }
        foreach (var (_, kind, path) in resource.Settings.ImportFiles)
        {
            var import = airflow.AddProcess(new AirflowProcessResource($"{resource.Name}-import-{kind}", resource, AirflowRole.Import))
                .WithArgs(kind, "import", path)
                .ExcludeFromManifest();
            if (kind == "connections")
            {
                import.WithArgs("--overwrite");
            }
            foreach (var scheduler in resource.Processes.Where(p => p.Role == AirflowRole.Scheduler))
            {
                airflow.ApplicationBuilder.CreateResourceBuilder(scheduler).WaitForCompletion(import);
            }
        }
        return airflow;
    }

    /// <summary>Makes <paramref name="process"/> wait for every import <see cref="WithProjectImports"/> added so far.</summary>
    internal static IResourceBuilder<T> WaitForImports<T>(this IResourceBuilder<T> process, AirflowResource airflow) where T : IResourceWithWaitSupport
    {
        foreach (var import in airflow.Processes.Where(p => p.Role == AirflowRole.Import))
        {
            process.WaitForCompletion(process.ApplicationBuilder.CreateResourceBuilder(import));
        }
        return process;
    }
}
