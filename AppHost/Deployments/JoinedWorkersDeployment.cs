using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.Hosts;

namespace AirflowAspire.AppHost.Deployments;

/// <summary><c>--Airflow:Role=workers --Airflow:Join=PATH</c>: Celery workers on this host for a deployment on another, from its join file.</summary>
internal static class JoinedWorkersDeployment
{
    public static void Add(IDistributedApplicationBuilder builder, AirflowSettings airflow)
    {
        var join = JoinFile.Read(airflow.Join!, airflow.Version);
        builder.AddJoinedCeleryWorkers("airflow", join, airflow.Join!, airflow);
    }
}
