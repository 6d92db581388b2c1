using AirflowAspire.Verifier;
using AirflowAspire.Verifier.Broker;
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
}
