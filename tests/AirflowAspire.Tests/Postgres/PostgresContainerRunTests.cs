using AirflowAspire.Tests.Fixtures;
using Aspire.Hosting.Testing;
using Npgsql;

namespace AirflowAspire.Tests.Postgres;

/// <summary>
/// PostgreSQL (<c>Airflow:Database=postgres</c>), Aspire.Hosting.PostgreSQL's container, run by DCP on a real Docker engine:
/// from the test image of Debian's postgresql named through the Postgres image settings, and when it cannot start. The
/// broker is the Dragonfly stand-in as a local binary, so that the database is the only container.
/// </summary>
[Collection(ContainerEngineCollection.Name)]
public sealed class PostgresContainerRunTests
{
    [Fact]
    public async Task The_PostgreSQL_container_from_the_image_settings_becomes_healthy_its_database_is_created_and_the_migration_connects_to_it()
    {
        await ContainerEngine.RequireAsync();
        DebianPrerequisites.RequirePsycopg2();

        await using var run = await StartFailureRun.StartAsync("--Airflow:Database=postgres",
            $"--Postgres:Registry={ContainerEngine.TestRegistry}", $"--Postgres:Image={ContainerEngine.PostgresImage}",
            $"--Postgres:ImageTag={ContainerEngine.PostgresTag}", $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}");

        // Healthy: Aspire's Npgsql check logged in with the generated user and password (scram-sha-256, as Aspire asks initdb).
        await run.App.WaitForHealthyAsync("airflow-postgres", StartFailureRun.Bound);
        var migration = await run.App.WaitForStateAsync("airflow-migrate", StartFailureRun.Bound, "Finished", "Exited", "FailedToStart");
        Assert.Equal(0, migration.Snapshot.ExitCode);
        // The stand-in's migration names the server it reached: this image's Debian build, not a server elsewhere.
        var connected = await run.App.WaitForLogAsync("airflow-migrate", "Connected to PostgreSQL ", StartFailureRun.Bound);
        Assert.Contains($"Connected to PostgreSQL {ContainerEngine.PostgresTag}.", connected);
        Assert.Contains("Debian", connected);
        Assert.DoesNotContain(run.App.Log("airflow-migrate"), line => line.Contains("password authentication failed", StringComparison.Ordinal));

        // The database Aspire created once the server was healthy ("airflow") holds what the migration wrote there.
        await using var connection = new NpgsqlConnection(await run.App.App.GetConnectionStringAsync("airflow-db", TestContext.Current.CancellationToken));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var query = new NpgsqlCommand("SELECT current_database(), (SELECT version_num FROM alembic_version)", connection);
        await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("airflow", reader.GetString(0));
        // Alembic's version table, at the head of the stand-in's migration scripts (tests/AirflowStandIn/src/airflow/migrations/versions).
        Assert.Equal("9c3e4f1a2b60", reader.GetString(1));
    }

    [Fact]
    public async Task An_image_whose_registry_cannot_be_reached_is_named_on_the_database_row_and_every_process_names_it()
    {
        await ContainerEngine.RequireAsync();

        await using var run = await StartFailureRun.StartAsync("--Airflow:Database=postgres", "--Postgres:Registry=localhost:1",
            $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}");

        var explanation = await run.ExplanationAsync("airflow-postgres", "PostgreSQL cannot start: its image localhost:1/library/postgres:18.3 is not on this machine");
        Assert.Contains("set Postgres:Registry to a mirror", explanation);
        Assert.Contains("Airflow:Database", explanation);
        // The migration waits for the database; the other processes for the migration: each names the server that failed.
        await run.AssertDependentsFailNamingAsync("airflow-postgres", explanation);
    }
}
