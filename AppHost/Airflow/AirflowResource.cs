using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Python;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// An Airflow deployment: what every one of its processes shares (home, DAGs folder, metadata
/// database, secrets, Celery broker), declared once. Its processes are child resources that
/// inherit all of it (see <see cref="AirflowProcessResource"/>).
/// </summary>
public sealed class AirflowResource(string name, AirflowSettings settings, AirflowPaths paths, AirflowSecrets secrets)
    : Resource(name)
{
    /// <summary>The settings it was made from.</summary>
    public AirflowSettings Settings { get; } = settings;

    /// <summary>Where its files live.</summary>
    public AirflowPaths Paths { get; } = paths;

    /// <summary>The generated secrets every process shares.</summary>
    public AirflowSecrets Secrets { get; } = secrets;

    /// <summary>The one-shot resource that makes the Python environment ready.</summary>
    public IResourceBuilder<PythonInstallerResource>? Environment { get; internal set; }

    /// <summary>The one-shot <c>airflow db migrate</c>.</summary>
    public IResourceBuilder<AirflowProcessResource>? Migration { get; internal set; }

    /// <summary>Celery's broker (db 0) and result backend (db 1).</summary>
    public IDragonflyResource? Broker { get; internal set; }

    /// <summary>The PostgreSQL database, when the metadata database is PostgreSQL.</summary>
    public IResourceBuilder<PostgresDatabaseResource>? MetadataDatabaseServer { get; internal set; }

    /// <summary>The metadata database connection (SQLAlchemy URL).</summary>
    public ReferenceExpression? MetadataDatabase { get; internal set; }

    /// <summary>The api-server, whose endpoint serves the REST API and the Task Execution API.</summary>
    public AirflowProcessResource? ApiServer { get; internal set; }

    /// <summary>The Celery workers.</summary>
    public List<AirflowProcessResource> Workers { get; } = [];
}

/// <summary>
/// One Airflow process (api-server, scheduler, worker, ...), run from the environment's
/// <c>airflow</c> executable with the shared configuration of its deployment.
/// </summary>
/// <remarks>
/// Shown under its deployment on the dashboard (a parent relationship), but not an
/// <see cref="IResourceWithParent"/>: Aspire makes a wait on such a resource also wait on its
/// parent, which would forbid one process of a deployment from waiting on another.
/// </remarks>
public sealed class AirflowProcessResource(string name, string workingDirectory, VirtualEnvironment environment, AirflowResource airflow)
    : PythonAppResource(name, "airflow", workingDirectory, environment)
{
    /// <summary>The deployment the process belongs to.</summary>
    public AirflowResource Airflow { get; } = airflow;
}
