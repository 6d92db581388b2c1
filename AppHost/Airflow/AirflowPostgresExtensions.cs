using AirflowAspire.AppHost.Airflow;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>The PostgreSQL metadata database (<c>Airflow:Database=postgres</c>).</summary>
public static class AirflowPostgresExtensions
{
    /// <summary>
    /// Adds a PostgreSQL container with a database named <c>airflow</c> and returns the SQLAlchemy URL
    /// Airflow connects with (psycopg2, from the <c>postgres</c> extra). The migration waits for it.
    /// </summary>
    internal static ReferenceExpression WithPostgresMetadataDatabase(this IResourceBuilder<AirflowResource> airflow)
    {
        var server = airflow.ApplicationBuilder.AddPostgres($"{airflow.Resource.Name}-postgres").WithParentRelationship(airflow);
        var database = server.AddDatabase($"{airflow.Resource.Name}-db", databaseName: "airflow");
        airflow.Resource.MetadataDatabaseServer = database;
        var endpoint = server.Resource.PrimaryEndpoint;
        return ReferenceExpression.Create(
            $"postgresql+psycopg2://{server.Resource.UserNameReference}:{server.Resource.PasswordParameter:uri}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/airflow");
    }
}
