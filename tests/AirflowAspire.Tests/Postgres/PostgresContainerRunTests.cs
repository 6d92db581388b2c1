using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Postgres;

/// <summary>
/// PostgreSQL (<c>Airflow:Database=postgres</c>), Aspire.Hosting.PostgreSQL's container, run by DCP on a real Docker engine
/// when it cannot start; the broker is the Dragonfly stand-in as a local binary, so that only the database fails.
/// </summary>
[Collection(ContainerEngineCollection.Name)]
public sealed class PostgresContainerRunTests
{
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
