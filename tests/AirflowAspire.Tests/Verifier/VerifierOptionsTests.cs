using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Broker;
using AirflowAspire.Verifier.Verification;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.Tests.Verifier;

/// <summary>
/// What the Verifier reads of its configuration: the settings the AppHost passes (<c>Verifier__…</c>,
/// <c>ConnectionStrings__broker</c>), and, when an older AppHost or a user passes fewer, defaults equal to what it used before.
/// </summary>
public sealed class VerifierOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string? Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Without_settings_the_names_are_the_ones_the_AppHost_gives()
    {
        var resources = new VerifierOptions().Resources;

        Assert.Equal(("airflow-migrate", "airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "dragonfly"),
            (resources.Migration, resources.ApiServer, resources.Scheduler, resources.DagProcessor, resources.Triggerer, resources.Broker));
        Assert.Equal(["airflow-worker-1"], resources.WorkerList);
        Assert.Equal(("airflow-admin-password", "airflow-jwt-secret"), (resources.AdminPasswordParameter, resources.JwtSecretParameter));
        Assert.Equal(("hello_dragonfly", "Hello from a Celery worker via Dragonfly!", "admin"),
            (new VerifierOptions().DagId, new VerifierOptions().ExpectedOutput, new VerifierOptions().Username));
    }

    [Fact]
    public void Resources_bind_from_their_subsection_and_an_empty_triggerer_means_none()
    {
        var options = Configuration(
                ("Verifier:Resources:ApiServer", "api"), ("Verifier:Resources:Workers", "w-1, w-2"), ("Verifier:Resources:Triggerer", ""))
            .GetSection(VerifierOptions.SectionName).Get<VerifierOptions>()!;

        Assert.Equal("api", options.Resources.ApiServer);
        Assert.Equal(["w-1", "w-2"], options.Resources.WorkerList);
        Assert.Equal("", options.Resources.Triggerer);
        Assert.Equal("airflow-scheduler", options.Resources.Scheduler);
    }

    [Theory]
    [InlineData("h:1", "h:2", "broker")]
    [InlineData(null, "h:2", "dragonfly")]
    [InlineData(null, null, null)]
    public void The_broker_connection_string_is_broker_else_the_former_dragonfly(string? broker, string? dragonfly, string? expected)
        => Assert.Equal(expected, BrokerConnection.NameIn(Configuration(("ConnectionStrings:broker", broker), ("ConnectionStrings:dragonfly", dragonfly))));

    [Fact]
    public void The_Celery_URLs_given_are_read_for_their_database()
    {
        var url = BrokerConnection.Url("redis://:pw@localhost:16379/5", "localhost:16379,password=pw", BrokerConnection.DefaultBrokerDatabase);

        Assert.Equal(5, url.Database);
        Assert.Equal("redis://:***@localhost:16379/5", url.ToString());
    }

    [Theory]
    [InlineData("localhost:16379,password=pw", 0, "localhost", 16379, "pw")]
    [InlineData("127.0.0.1:16379,password=pw,allowAdmin=true", 1, "127.0.0.1", 16379, "pw")]
    [InlineData("localhost", 1, "localhost", 6379, null)]
    public void Without_Celery_URLs_the_connection_strings_server_with_database_0_and_1(string connectionString, int database, string host, int port, string? password)
    {
        var url = BrokerConnection.Url("", connectionString, database);

        Assert.Equal((host, port, database, password), (url.Host, url.Port, url.Database, url.Password));
    }

    [Theory]
    [InlineData("redis://:s3cret@localhost:6379/x", "localhost:6379,password=s3cret")]
    [InlineData("", "password=s3cret")]
    public void A_broker_that_cannot_be_read_is_refused_without_its_password(string configured, string connectionString)
    {
        var error = Assert.Throws<FormatException>(() => BrokerConnection.Url(configured, connectionString, 0));

        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public void The_chosen_DAGs_their_conf_and_FailOnImportErrors_bind_from_the_settings_the_AppHost_passes()
    {
        var options = Configuration(
                ("Verifier:Dags", " sales_report, tag:sample ,nightly_cleanup,sales_report,"), ("Verifier:Conf:inventory_sync", """{"items": 5}"""),
                ("Verifier:FailOnImportErrors", "true"))
            .GetSection(VerifierOptions.SectionName).Get<VerifierOptions>()!;

        var selection = DagSelection.From(options);

        Assert.Equal(["sales_report", "nightly_cleanup"], selection.DagIds);
        Assert.Equal(["sample"], selection.Tags);
        Assert.Equal(5, selection.ConfFor("inventory_sync")["items"]!.GetValue<int>());
        Assert.Equal("{}", selection.ConfFor("sales_report").ToJsonString());
        Assert.True(options.FailOnImportErrors);
        Assert.True(DagSelection.From(new VerifierOptions()).IsEmpty);
        Assert.False(new VerifierOptions().FailOnImportErrors);
    }

    [Theory]
    [InlineData("sales_report", "inventory_sync", "{items: 5}", "Verifier:Conf:inventory_sync is not JSON")]
    [InlineData("sales_report", "inventory_sync", "[1, 2]", "Verifier:Conf:inventory_sync is a JSON array: Airflow takes a run's conf as a JSON object")]
    [InlineData("tag:", null, null, "Verifier:Dags has the entry 'tag:', a tag without a name: write tag:NAME")]
    [InlineData("sales report", null, null, "Verifier:Dags has the entry 'sales report', which is not a DAG id")]
    public void A_setting_the_Verifier_cannot_use_is_refused_naming_it_and_the_fix(string dags, string? confDag, string? conf, string message)
    {
        var options = new VerifierOptions { Dags = dags, Conf = confDag is null ? [] : new() { [confDag] = conf! } };

        var error = Assert.Throws<VerifierSettingException>(() => DagSelection.From(options));

        Assert.StartsWith(message, error.Message);
        Assert.Contains("e.g.", error.Message);
    }

    [Theory]
    [InlineData("Traceback (most recent call last):\n  File \"/opt/airflow/dags/sub/x.py\", line 3, in <module>\n    import pandaz\nModuleNotFoundError: No module named 'pandaz'\n",
        "sub/x.py", 3, "ModuleNotFoundError: No module named 'pandaz'")]
    // A SyntaxError's frame line has no ", in"; a frame of another file is not the file's line.
    [InlineData("Traceback (most recent call last):\n  File \"/usr/lib/python3.12/ast.py\", line 52, in parse\n  File \"/opt/airflow/dags/y.py\", line 7\n    def f(:\n          ^\nSyntaxError: invalid syntax\n",
        "y.py", 7, "SyntaxError: invalid syntax")]
    // Without tracebacks ([core] dagbag_import_error_tracebacks false) Airflow stores str(e): no line.
    [InlineData("name 'x' is not defined", "z.py", null, "name 'x' is not defined")]
    public void An_import_errors_line_is_its_files_last_frame_and_its_error_the_last_line(string trace, string filename, int? line, string error)
        => Assert.Equal(new ImportErrorReport(filename, line, error),
            TaskLogReading.ImportError(new AirflowAspire.Verifier.Airflow.ImportError(filename, System.Text.RegularExpressions.Regex.Unescape(trace))));

    [Fact]
    public void Without_an_exception_record_a_failed_tasks_cause_is_its_last_error_lines()
    {
        var log = new[]
        {
            new AirflowAspire.Verifier.Airflow.TaskLogRecord("starting", "info", null),
            new AirflowAspire.Verifier.Airflow.TaskLogRecord("Task exited", "error", null),
            new AirflowAspire.Verifier.Airflow.TaskLogRecord("done", "info", null),
        };

        Assert.Equal("the task's last error lines: Task exited", TaskLogReading.CauseFrom(log));
        Assert.Null(TaskLogReading.CauseFrom([]));
    }
}
