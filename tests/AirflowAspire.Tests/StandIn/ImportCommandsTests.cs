using System.Text.Json;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.StandIn;

/// <summary>
/// The stand-in's <c>airflow connections import</c>, <c>variables import</c> and <c>pools import</c>, the one-shot
/// commands the AppHost runs after <c>airflow db migrate</c>, answer as Airflow 3.0.3's do
/// (<c>cli/commands/connection_command.py</c>, <c>variable_command.py</c>, <c>pool_command.py</c>,
/// <c>secrets/local_filesystem.py</c>): their lines, exit codes, the parse error's report, and never a password.
/// </summary>
public sealed class ImportCommandsTests
{
    private const string SamplePassword = "sample-secret-do-not-log"; // tests/SampleProject/connections.json

    [Fact]
    public async Task Connections_import_reports_each_connection_skips_existing_ones_unless_overwrite_and_never_prints_the_password()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var airflow = new StandInProcesses(standIn);
        Assert.Equal(0, (await airflow.AirflowAsync("db", "migrate")).ExitCode);
        var file = Path.Combine(StandInProcesses.SampleProject, "connections.json");

        var first = await airflow.AirflowAsync("connections", "import", file);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("Imported connection sales_warehouse", first.Stdout.Trim());

        var again = await airflow.AirflowAsync("connections", "import", file);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("Could not import connection sales_warehouse: connection already exists.", again.Stdout.Trim());

        var overwrite = await airflow.AirflowAsync("connections", "import", file, "--overwrite");
        Assert.True(overwrite.ExitCode == 0, overwrite.ToString());
        Assert.Equal("Imported connection sales_warehouse", overwrite.Stdout.Trim());

        foreach (var result in new[] { first, again, overwrite })
        {
            Assert.DoesNotContain(SamplePassword, result.Stdout + result.Stderr, StringComparison.Ordinal);
        }

        // What the database holds is what the file said (read back with the environment's Python).
        var stored = await airflow.PythonAsync(
            "import json; from airflow_standin import db; c = db.connect(); " +
            "print(json.dumps([dict(r) for r in c.execute('SELECT conn_id, conn_type, host, schema, login, port FROM connection')]))");
        Assert.Equal("""[{"conn_id": "sales_warehouse", "conn_type": "postgres", "host": "warehouse.example.internal", "schema": "sales", "login": "reporter", "port": 5432}]""", stored.Stdout.Trim());
    }

    [Fact]
    public async Task Connections_import_fails_as_3_0_3_on_a_missing_file_and_on_files_it_cannot_parse()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var airflow = new StandInProcesses(standIn);
        Assert.Equal(0, (await airflow.AirflowAsync("db", "migrate")).ExitCode);

        var missing = await airflow.AirflowAsync("connections", "import", Path.Combine(standIn.Folder, "nowhere.json"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Missing connections file.", missing.Stderr.Trim());

        // JSON: json's message and line, under AirflowFileParseException's report (an uncaught exception: traceback, exit 1).
        var json = Path.Combine(standIn.Folder, "broken.json");
        await File.WriteAllTextAsync(json, "{\n  \"a\":\n}\n", TestContext.Current.CancellationToken);
        var badJson = await airflow.AirflowAsync("connections", "import", json);
        Assert.Equal(1, badJson.ExitCode);
        Assert.Contains("Traceback (most recent call last):", badJson.Stderr, StringComparison.Ordinal);
        Assert.Contains($"airflow.exceptions.AirflowFileParseException: Failed to load the secret file.\nFilename: {json}\n\n" +
            "==================== Parse error   1 ====================\nExpecting value\nLine number:  3\n", badJson.Stderr, StringComparison.Ordinal);

        // .env: a line without "=" is a syntax error; a good .env file imports its URI.
        var env = Path.Combine(standIn.Folder, "connections.env");
        await File.WriteAllTextAsync(env, "# comment\nmy_http=http://user:p%40ss@example.com:8080/base?timeout=5\nno_equals_sign\n", TestContext.Current.CancellationToken);
        var badEnv = await airflow.AirflowAsync("connections", "import", env);
        Assert.Equal(1, badEnv.ExitCode);
        Assert.Contains("Invalid line format. The line should contain at least one equal sign (\"=\").\nLine number:  3", badEnv.Stderr, StringComparison.Ordinal);
        await File.WriteAllTextAsync(env, "my_http=http://user:p%40ss@example.com:8080/base?timeout=5\n", TestContext.Current.CancellationToken);
        var goodEnv = await airflow.AirflowAsync("connections", "import", env);
        Assert.Equal("Imported connection my_http", goodEnv.Stdout.Trim());
        Assert.DoesNotContain("p@ss", goodEnv.Stdout + goodEnv.Stderr, StringComparison.Ordinal);

        // YAML, and an extension Airflow does not read.
        var yaml = Path.Combine(standIn.Folder, "connections.yaml");
        await File.WriteAllTextAsync(yaml, "my_api:\n  conn_type: http\n  host: api.example.com\n  extra_dejson: {retries: 2}\n", TestContext.Current.CancellationToken);
        Assert.Equal("Imported connection my_api", (await airflow.AirflowAsync("connections", "import", yaml)).Stdout.Trim());
        var txt = Path.Combine(standIn.Folder, "connections.txt");
        await File.WriteAllTextAsync(txt, "x=y\n", TestContext.Current.CancellationToken);
        var unsupported = await airflow.AirflowAsync("connections", "import", txt);
        Assert.Equal(1, unsupported.ExitCode);
        Assert.Contains("airflow.exceptions.AirflowException: Unsupported file format. The file must have one of the following extensions: .env .json .yaml .yml", unsupported.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Variables_and_pools_import_report_as_3_0_3_and_db_migrate_creates_the_default_pool()
    {
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var airflow = new StandInProcesses(standIn);

        // Both check the database first (action_cli(check_db=True)).
        var unmigrated = await airflow.AirflowAsync("variables", "import", Path.Combine(StandInProcesses.SampleProject, "variables.json"));
        Assert.Equal(1, unmigrated.ExitCode);
        Assert.Contains("You need to initialize the database. Please run `airflow db migrate`.", unmigrated.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await airflow.AirflowAsync("db", "migrate")).ExitCode);

        var variables = Path.Combine(StandInProcesses.SampleProject, "variables.json");
        Assert.Equal("1 of 1 variables successfully updated.", (await airflow.AirflowAsync("variables", "import", variables)).Stdout.Trim());
        var fail = await airflow.AirflowAsync("variables", "import", variables, "--action-on-existing-key", "fail");
        Assert.Equal(1, fail.ExitCode);
        Assert.Equal("Failed. These keys: ['sales_region'] already exists.", fail.Stderr.Trim());
        var skip = await airflow.AirflowAsync("variables", "import", variables, "-a", "skip");
        Assert.Equal("0 of 1 variables successfully updated.\nThe variables with these keys: ['sales_region'] were skipped because they already exists", skip.Stdout.Trim());
        Assert.Equal("Missing variables file.", (await airflow.AirflowAsync("variables", "import", Path.Combine(standIn.Folder, "none.json"))).Stderr.Trim());
        var notJson = Path.Combine(standIn.Folder, "variables.yaml");
        await File.WriteAllTextAsync(notJson, "sales_region: emea\n", TestContext.Current.CancellationToken);
        var invalid = await airflow.AirflowAsync("variables", "import", notJson);
        Assert.Equal((1, "Invalid variables file."), (invalid.ExitCode, invalid.Stderr.Trim()));

        var pools = Path.Combine(StandInProcesses.SampleProject, "pools.json");
        Assert.Equal("Uploaded 1 pool(s)", (await airflow.AirflowAsync("pools", "import", pools)).Stdout.Trim());
        var incomplete = Path.Combine(standIn.Folder, "pools.json");
        await File.WriteAllTextAsync(incomplete, """{"no_description": {"slots": 3}}""", TestContext.Current.CancellationToken);
        var failed = await airflow.AirflowAsync("pools", "import", incomplete);
        Assert.Equal((1, "Failed to update pool(s): no_description"), (failed.ExitCode, failed.Stderr.Trim()));

        var stored = await airflow.PythonAsync(
            "import json; from airflow_standin import db; c = db.connect(); " +
            "print(json.dumps([dict(r) for r in c.execute('SELECT pool, slots, description, include_deferred FROM slot_pool ORDER BY id')]))");
        using var rows = JsonDocument.Parse(stored.Stdout);
        Assert.Equal(
            ["default_pool 128 Default pool 0", "inventory_pool 2 At most two inventory syncs at once 0"],
            rows.RootElement.EnumerateArray().Select(r => $"{r.GetProperty("pool")} {r.GetProperty("slots")} {r.GetProperty("description")} {r.GetProperty("include_deferred")}"));
    }
}
