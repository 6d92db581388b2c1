using System.Diagnostics;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// The migration resource's check (AppHost/Airflow/Python/migrate_database.py), run for real by the stand-in environment's
/// python: <c>airflow db migrate</c> runs unless the database's <c>alembic_version</c> is the head of the installed Airflow's
/// migration scripts (the check every Airflow process makes at its start), and whatever it cannot tell for certain runs it.
/// The stand-in keeps its schema's version as Airflow does (tests/AirflowStandIn/README.md).
/// </summary>
public sealed class MigrationCheckTests
{
    private static readonly string Script = Path.Combine(AppHostModel.AppHostDirectory, "Airflow", "Python", "migrate_database.py");
    private static readonly string StandInPackage = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "AirflowStandIn", "src", "airflow"));
    private const string StandInHead = "9c3e4f1a2b60";

    // A new database is migrated by Airflow's own command; the next start finds it at head and runs nothing: with no `airflow`
    // executable left in the environment, the check still ends well, so nothing was started.
    [Fact]
    public async Task A_new_database_is_migrated_and_one_at_head_is_left_as_it_is_without_running_airflow()
    {
        using var standIn = Require();

        var first = await MigrateAsync(standIn);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains($"Running `airflow db migrate`: the database {Database(standIn)} does not exist yet.", first.Output);
        Assert.Contains("Database migrating done!", first.Output);

        File.Move(Airflow(standIn), Airflow(standIn) + ".moved");
        var second = await MigrateAsync(standIn);

        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains($"The metadata database is at revision {StandInHead}, the head of Airflow {standIn.AirflowVersion}'s migration scripts", second.Output);
        Assert.Contains("nothing to migrate, so `airflow db migrate` is not run", second.Output);
        Assert.DoesNotContain("Running `airflow db migrate`", second.Output);
    }

    // A newer Airflow (here: the stand-in's package with one script more, first on the path) finds the database one revision
    // behind: the migration runs, and then the database is at the new head.
    [Fact]
    public async Task A_newer_airflows_script_runs_the_migration_to_its_head()
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);
        AddNewerAirflow(standIn, "0b7d2e44aa10", StandInHead);

        var result = await MigrateAsync(standIn);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"Running `airflow db migrate`: the database is at revision {StandInHead}, the installed Airflow's scripts end at 0b7d2e44aa10.", result.Output);
        Assert.Contains("Migrating the Airflow database", result.Output);
        Assert.Contains("the head of", (await MigrateAsync(standIn)).Output);
    }

    // Before that migration, every Airflow process makes the same check at its start and refuses (check_and_run_migrations):
    // a skipped migration can never leave a process on a database it does not know.
    [Fact]
    public async Task A_process_refuses_a_database_behind_the_installed_scripts_as_airflow_does()
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);
        AddNewerAirflow(standIn, "0b7d2e44aa10", StandInHead);

        var scheduler = await RunAsync(standIn, Airflow(standIn), ["scheduler"]);

        Assert.Equal(1, scheduler.ExitCode);
        Assert.Contains("ERROR: You need to migrate the database. Please run `airflow db migrate`.", scheduler.Output);
    }

    // A database at a revision the installed scripts do not know (an older Airflow installed over a newer one's database) is
    // not "at head": Airflow's own command runs and its error is the resource's.
    [Fact]
    public async Task A_revision_the_scripts_do_not_know_runs_airflow_and_ends_with_its_error()
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);
        await SqlAsync(standIn, "UPDATE alembic_version SET version_num = 'ffff00001111'");

        var result = await MigrateAsync(standIn);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the database is at revision ffff00001111, the installed Airflow's scripts end at {StandInHead}", result.Output);
        Assert.Contains("Can't locate revision identified by 'ffff00001111'", result.Output);
    }

    // `airflow db migrate` also adds the default pool when it is missing: a database without it is migrated, and has it again.
    [Fact]
    public async Task A_missing_default_pool_runs_the_migration_which_adds_it()
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);
        await SqlAsync(standIn, "DELETE FROM slot_pool WHERE pool = 'default_pool'");

        var result = await MigrateAsync(standIn);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Running `airflow db migrate`: the database has no default_pool, which `airflow db migrate` adds.", result.Output);
        Assert.Contains("nothing to migrate", (await MigrateAsync(standIn)).Output);
    }

    // What has migrations of its own (FAB's auth manager, external database managers), tables in another schema, a value only
    // Airflow can read (a command, a secret) and Airflow:AlwaysMigrate (--always) each run the migration, saying why.
    [Theory]
    [InlineData("AIRFLOW__CORE__AUTH_MANAGER", "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
        "[core] auth_manager is airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager, whose own tables `airflow db migrate` migrates too.")]
    [InlineData("AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS", "my_company.db.Manager",
        "[database] external_db_managers is my_company.db.Manager, whose tables `airflow db migrate` migrates too.")]
    [InlineData("AIRFLOW__CORE__AUTH_MANAGER_CMD", "echo x", "[core] auth_manager is set by AIRFLOW__CORE__AUTH_MANAGER_CMD, which is not read without Airflow.")]
    [InlineData("AIRFLOW__DATABASE__SQL_ALCHEMY_SCHEMA", "airflow", "[database] sql_alchemy_schema is airflow, where this check does not read.")]
    [InlineData("--always", "", "Airflow:AlwaysMigrate is set.")]
    public async Task What_the_check_cannot_vouch_for_runs_the_migration_and_says_why(string setting, string value, string reason)
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);

        var result = setting.StartsWith("--", StringComparison.Ordinal)
            ? await MigrateAsync(standIn, arguments: [setting])
            : await MigrateAsync(standIn, new Dictionary<string, string> { [setting] = value });

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"Running `airflow db migrate`: {reason}", result.Output);
        Assert.Contains("Database migrating done!", result.Output);
    }

    // The same read from airflow.cfg, where a user may have set it.
    [Fact]
    public async Task An_auth_manager_in_airflow_cfg_runs_the_migration()
    {
        using var standIn = Require();
        Assert.Equal(0, (await MigrateAsync(standIn)).ExitCode);
        var config = Path.Combine(Home(standIn), "airflow.cfg");
        var text = await File.ReadAllTextAsync(config, TestContext.Current.CancellationToken);
        Assert.Contains("[core]\n", text);
        await File.WriteAllTextAsync(config, text.Replace("[core]\n", "[core]\nauth_manager = my_company.auth.Manager\n", StringComparison.Ordinal),
            TestContext.Current.CancellationToken);

        var result = await MigrateAsync(standIn);

        Assert.Contains("Running `airflow db migrate`: [core] auth_manager is my_company.auth.Manager", result.Output);
    }

    private static AirflowStandIn Require()
    {
        DebianPrerequisites.Require();
        return AirflowStandIn.Create();
    }

    private static string Home(AirflowStandIn standIn) => Path.Combine(standIn.Folder, "home");

    private static string Database(AirflowStandIn standIn) => Path.Combine(Home(standIn), "airflow.db");

    private static string Airflow(AirflowStandIn standIn) => Path.Combine(standIn.VirtualEnvironment, "bin", "airflow");

    /// <summary>
    /// A newer Airflow in the same environment: a copy of the stand-in's <c>airflow</c> package, first on the path, whose
    /// migration scripts have one more, revising <paramref name="revises"/>.
    /// </summary>
    private static void AddNewerAirflow(AirflowStandIn standIn, string revision, string revises)
    {
        var overlay = Path.Combine(standIn.Folder, "newer-airflow");
        CopyFolder(StandInPackage, Path.Combine(overlay, "airflow"));
        File.WriteAllText(Path.Combine(overlay, "airflow", "migrations", "versions", "0003_newer.py"),
            $"\"\"\"A newer Airflow's migration.\"\"\"\n\nrevision = \"{revision}\"\ndown_revision = \"{revises}\"\nbranch_labels = None\n");
        var site = Directory.GetDirectories(Path.Combine(standIn.VirtualEnvironment, "lib"), "python3*").Single();
        // .pth files are read in name order: this one before the stand-in's own (airflow_standin.pth).
        File.WriteAllText(Path.Combine(site, "site-packages", "0_newer_airflow.pth"), overlay + "\n");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var folder in Directory.GetDirectories(from).Where(f => Path.GetFileName(f) != "__pycache__"))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    private static Task<(int ExitCode, string Output)> MigrateAsync(AirflowStandIn standIn, Dictionary<string, string>? environment = null,
        string[]? arguments = null)
        => RunAsync(standIn, Path.Combine(standIn.VirtualEnvironment, "bin", "python"), [Script, .. arguments ?? []], environment);

    /// <summary>Changes the database behind the stand-in's back; a statement that fails stops the test.</summary>
    private static async Task SqlAsync(AirflowStandIn standIn, string statement)
    {
        var (exitCode, output) = await RunAsync(standIn, DebianPrerequisites.Python,
            ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", Database(standIn), statement]);
        Assert.True(exitCode == 0, output);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(AirflowStandIn standIn, string command, string[] arguments,
        Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command, arguments);
        start.Environment["AIRFLOW_HOME"] = Home(standIn);
        start.Environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = $"sqlite:///{Database(standIn)}";
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        return ProcessRun.RunAsync(start, TimeSpan.FromSeconds(60));
    }
}
