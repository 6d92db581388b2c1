using System.Text.Json;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Project;

/// <summary>
/// A user's own Airflow project (tests/SampleProject) in the AppHost's model: its plugins folder in every process, its
/// connections, variables and pools imported after the migration and before the scheduler, the Verifier's own DAG in a
/// bundle of its own beside the user's DAGs, the user's Verifier settings passed on, and each bad path named with its setting.
/// </summary>
public sealed class ProjectSettingsTests
{
    /// <summary>The sample project, as a user's project beside the clone would be named on the command line.</summary>
    public static string Sample { get; } = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests", "SampleProject"));

    private static string[] SampleArguments =>
    [
        $"--Airflow:DagsFolder={Sample}/dags", $"--Airflow:PluginsFolder={Sample}/plugins",
        $"--Airflow:Connections={Sample}/connections.json", $"--Airflow:Variables={Sample}/variables.json", $"--Airflow:Pools={Sample}/pools.json",
    ];

    private static async Task<AppHostModel.App> BuildAsync(params string[] args)
    {
        var app = await AppHostModel.BuildAsync(["--Parameters:dragonfly-password=DragonflyPassw0rdForTests", .. args]);
        app.Resource<DragonflyResource>("dragonfly").AllocateEndpoint("tcp", 16379, targetPort: 6379);
        app.AllocateAllEndpoints();
        return app;
    }

    [Fact]
    public async Task Each_project_file_is_imported_by_Airflows_own_command_after_the_migration_and_before_the_scheduler()
    {
        await using var app = await BuildAsync(SampleArguments);
        var migrate = app.Resource<AirflowProcessResource>("airflow-migrate");
        var scheduler = app.Resource<AirflowProcessResource>("airflow-scheduler");

        foreach (var (kind, file, extra) in new[] { ("connections", "connections.json", "--overwrite"), ("variables", "variables.json", null), ("pools", "pools.json", null) })
        {
            var import = app.Resource<AirflowProcessResource>($"airflow-import-{kind}");
            Assert.Equal(AirflowRole.Import, import.Role);
            string[] expected = extra is null ? [kind, "import", Path.Combine(Sample, file)] : [kind, "import", Path.Combine(Sample, file), extra];
            Assert.Equal(expected, await app.ArgumentsAsync(import));
            Assert.True(Waits(import, migrate), $"the {kind} import must wait for the migration");
            Assert.True(Waits(scheduler, import), $"the scheduler must wait for the {kind} import");
        }
    }

    [Fact]
    public async Task Without_project_files_nothing_is_imported_and_the_scheduler_waits_for_no_import()
    {
        await using var app = await BuildAsync();

        Assert.DoesNotContain(app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<AirflowProcessResource>(),
            p => p.Role == AirflowRole.Import);
    }

    [Fact]
    public async Task No_secret_of_the_connections_file_reaches_a_command_line_or_an_environment()
    {
        var secret = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Sample, "connections.json"), TestContext.Current.CancellationToken))
            .RootElement.GetProperty("sales_warehouse").GetProperty("password").GetString()!;
        await using var app = await BuildAsync(SampleArguments);

        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithArgs>())
        {
            Assert.DoesNotContain(await app.ArgumentsAsync(resource), arg => arg.Contains(secret, StringComparison.Ordinal));
        }
        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithEnvironment>())
        {
            Assert.DoesNotContain((await app.EnvironmentAsync(resource)).Values, value => value.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_plugins_folder_is_every_processs_plugins_folder()
    {
        await using var app = await BuildAsync(SampleArguments);

        foreach (var name in new[] { "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-worker-1", "airflow-import-connections" })
        {
            Assert.Equal(Path.Combine(Sample, "plugins"), (await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(name)))["AIRFLOW__CORE__PLUGINS_FOLDER"]);
        }
    }

    [Fact]
    public async Task A_users_DAGs_folder_gets_the_Verifiers_DAG_from_a_bundle_of_its_own_and_every_process_the_same_bundles()
    {
        await using var app = await BuildAsync(SampleArguments);

        var lists = new HashSet<string>();
        foreach (var name in new[] { "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-worker-1", "airflow-triggerer" })
        {
            lists.Add((await app.EnvironmentAsync(app.Resource<AirflowProcessResource>(name)))["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]);
        }
        var bundles = JsonDocument.Parse(Assert.Single(lists)).RootElement.EnumerateArray().ToList();
        Assert.Equal(["dags-folder", "airflowaspire"], bundles.Select(b => b.GetProperty("name").GetString()));
        Assert.All(bundles, b => Assert.Equal("airflow.dag_processing.bundles.local.LocalDagBundle", b.GetProperty("classpath").GetString()));
        // Airflow's default bundle is [core] dags_folder (no path); the Verifier's is the repository's airflow/dags, which holds its DAG.
        Assert.False(bundles[0].GetProperty("kwargs").TryGetProperty("path", out _));
        var own = bundles[1].GetProperty("kwargs").GetProperty("path").GetString()!;
        Assert.True(File.Exists(Path.Combine(own, VerificationDag.FileName)), own);
    }

    [Fact]
    public async Task The_repositorys_DAGs_folder_or_one_with_its_own_copy_of_the_Verifiers_DAG_keeps_Airflows_one_bundle()
    {
        using var withCopy = new TemporaryFolder();
        File.Copy(Path.Combine(AppHostModel.AppHostDirectory, "..", "airflow", "dags", VerificationDag.FileName), Path.Combine(withCopy.Path, VerificationDag.FileName));
        foreach (var args in new[] { Array.Empty<string>(), [$"--Airflow:DagsFolder={withCopy.Path}"] })
        {
            await using var app = await BuildAsync(args);
            Assert.False((await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-dag-processor"))).ContainsKey("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"));
        }
    }

    [Fact]
    public async Task The_project_settings_are_keys_of_Airflows_config_yml()
    {
        var known = AirflowReference.ConfigKeys("3.0");
        await using var app = await BuildAsync(SampleArguments);

        var env = await app.EnvironmentAsync(app.Resource<AirflowProcessResource>("airflow-scheduler"));
        Assert.Contains(("core", "plugins_folder"), known);
        Assert.Contains(("dag_processor", "dag_bundle_config_list"), known);
        Assert.True(env.ContainsKey("AIRFLOW__CORE__PLUGINS_FOLDER") && env.ContainsKey("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"));
    }

    [Fact]
    public async Task The_users_Verifier_settings_reach_the_Verifier_and_the_AppHosts_own_win()
    {
        await using var app = await BuildAsync("--Verifier:Dags=tag:sample", """--Verifier:Conf:inventory_sync={"items": 5}""",
            "--Verifier:RunTimeout=00:05:00", "--Verifier:DagId=not_ours");

        var env = await app.EnvironmentAsync(app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier"));
        Assert.Equal("tag:sample", env["Verifier__Dags"]);
        Assert.Equal("""{"items": 5}""", env["Verifier__Conf__inventory_sync"]);
        Assert.Equal("00:05:00", env["Verifier__RunTimeout"]);
        // The stack's own proof stays the AppHost's DAG.
        Assert.Equal(VerificationDag.Id, env["Verifier__DagId"]);
    }

    [Theory]
    [InlineData("PluginsFolder", "/nonexistent/plugins", "an existing folder of Airflow plugins")]
    [InlineData("Connections", "/nonexistent/connections.json", "an existing file")]
    [InlineData("Variables", "/nonexistent/variables.json", "an existing file")]
    [InlineData("Pools", "/nonexistent/pools.json", "an existing file")]
    public async Task A_missing_project_folder_or_file_stops_the_AppHost_naming_the_setting(string key, string path, string expected)
    {
        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:{key}={path}");

        Assert.Equal($"Airflow:{key}", invalid.Setting);
        Assert.Contains(expected, invalid.Message);
    }

    [Theory]
    [InlineData("Variables", "variables.yaml", "a: 1\n", "'.yaml' is not one it reads")]
    [InlineData("Connections", "connections.txt", "x", "'.txt' is not one it reads")]
    [InlineData("Pools", "pools.json", "{\n  \"p\": {\"slots\": 2,}\n}", "not valid JSON at line 2")]
    [InlineData("Variables", "variables.json", "[1, 2]", "a JSON object at the top, not array")]
    public async Task A_project_file_Airflow_cannot_import_stops_the_AppHost_naming_the_setting_and_the_fix(string key, string name, string content, string expected)
    {
        using var folder = new TemporaryFolder();
        var file = Path.Combine(folder.Path, name);
        await File.WriteAllTextAsync(file, content, TestContext.Current.CancellationToken);

        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:{key}={file}");

        Assert.Equal($"Airflow:{key}", invalid.Setting);
        Assert.Contains(expected, invalid.Message);
        Assert.Contains($"airflow {key.ToLowerInvariant()} import", invalid.Message);
    }

    [Fact]
    public async Task An_unreadable_connections_file_is_named_without_quoting_its_content()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows() || Environment.UserName == "root",
            "the tests run as root (or on Windows), which reads the file whatever its Unix permissions: the check needs a user that cannot");
        using var folder = new TemporaryFolder();
        var file = Path.Combine(folder.Path, "connections.json");
        await File.WriteAllTextAsync(file, """{"c": {"conn_type": "http", "password": "hidden"}}""", TestContext.Current.CancellationToken);
#pragma warning disable CA1416 // Skipped on Windows above.
        File.SetUnixFileMode(file, UnixFileMode.None);
#pragma warning restore CA1416

        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:Connections={file}");

        Assert.Equal("Airflow:Connections", invalid.Setting);
        Assert.Contains("a file this user can read", invalid.Message);
    }

    [Fact]
    public async Task A_connections_file_that_fails_to_read_is_named_with_the_error_even_for_root()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the file that fails to read is Linux's /proc/self/mem");
        using var folder = new TemporaryFolder();
        // Reading /proc/self/mem from its start fails with EIO for any user, root included: a file that exists and cannot be read.
        var file = Path.Combine(folder.Path, "connections.json");
        File.CreateSymbolicLink(file, "/proc/self/mem");

        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:Connections={file}");

        Assert.Equal("Airflow:Connections", invalid.Setting);
        Assert.Contains("a file this user can read (IOException", invalid.Message);
    }

    [Fact]
    public async Task A_connections_file_that_is_not_JSON_is_named_by_its_position_never_its_text()
    {
        using var folder = new TemporaryFolder();
        var file = Path.Combine(folder.Path, "connections.json");
        await File.WriteAllTextAsync(file, "{\"c\": {\"password\": \"s3cr3t-value\" \"host\": 1}}", TestContext.Current.CancellationToken);

        var invalid = await AppHostModel.InvalidSettingAsync($"--Airflow:Connections={file}");

        Assert.Contains("not valid JSON at line 1", invalid.Message);
        Assert.DoesNotContain("s3cr3t", invalid.Message);
    }

    private static bool Waits(IResource resource, IResource on)
        => resource.Annotations.OfType<WaitAnnotation>().Any(w => w.Resource == on && w.WaitType == WaitType.WaitForCompletion);
}
