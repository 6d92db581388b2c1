using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.Contracts;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Contracts;

/// <summary>
/// Celery's Redis URLs read as Kombu reads them (kombu/transport/redis.py: <c>DEFAULT_PORT = 6379</c>, <c>DEFAULT_DB = 0</c>,
/// the password URL-decoded), and never written out with their password.
/// </summary>
public sealed class CeleryRedisUrlTests
{
    [Theory]
    [InlineData("redis://:s3cret@localhost:16379/1", "localhost", 16379, 1, "s3cret", null, false)]
    [InlineData("redis://localhost:6380/0", "localhost", 6380, 0, null, null, false)]
    [InlineData("redis://localhost", "localhost", 6379, 0, null, null, false)]
    [InlineData("redis://localhost/", "localhost", 6379, 0, null, null, false)]
    [InlineData("redis://default:pw@127.0.0.1:7000/15", "127.0.0.1", 7000, 15, "pw", "default", false)]
    [InlineData("rediss://:pw@broker.example:6380/2?ssl_cert_reqs=required", "broker.example", 6380, 2, "pw", null, true)]
    [InlineData("redis://:p%40ss%3Aw%2Frd%25@[::1]:6379/3", "::1", 6379, 3, "p@ss:w/rd%", null, false)]
    public void Reads_host_port_password_and_database(string url, string host, int port, int database, string? password, string? username, bool tls)
    {
        var parsed = CeleryRedisUrl.Parse(url);

        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(database, parsed.Database);
        Assert.Equal(password, parsed.Password);
        Assert.Equal(username, parsed.Username);
        Assert.Equal(tls, parsed.Tls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost:6379")]
    [InlineData("http://:s3cret@localhost:6379/0")]
    [InlineData("redis://:s3cret@localhost:6379/zero")]
    [InlineData("redis://:s3cret@localhost:6379/-1")]
    [InlineData("redis://:s3cret@localhost:0/1")]
    public void Refuses_what_is_not_a_Celery_Redis_URL_without_repeating_the_password(string url)
    {
        Assert.False(CeleryRedisUrl.TryParse(url, out _, out var error));
        Assert.DoesNotContain("s3cret", error);
        var thrown = Assert.Throws<FormatException>(() => CeleryRedisUrl.Parse(url));
        Assert.DoesNotContain("s3cret", thrown.Message);
    }

    [Theory]
    [InlineData("redis://:s3cret@localhost:16379/1", "redis://:***@localhost:16379/1")]
    [InlineData("redis://default:s3cret@localhost:16379/1", "redis://default:***@localhost:16379/1")]
    [InlineData("rediss://localhost/", "rediss://localhost:6379/0")]
    [InlineData("redis://:s3cret@[::1]:6379/0", "redis://:***@[::1]:6379/0")]
    public void Writes_itself_with_the_password_masked(string url, string expected)
        => Assert.Equal(expected, CeleryRedisUrl.Parse(url).ToString());

    [Fact]
    public async Task Reads_back_the_URLs_the_AppHost_gives_Celery_whatever_the_password_holds()
    {
        // Aspire's generated passwords are alphanumeric, but a user may set any: the AppHost URL-encodes it.
        const string password = "p@ss:w/rd%+ #?";
        var builder = BareBuilder.Create();
        var dragonfly = builder.AddDragonfly("dragonfly", password: builder.AddParameter("pw", password, secret: true)).Resource;
        dragonfly.AllocateEndpoint("tcp", 16379, targetPort: 6379);
        var celery = CeleryBroker.For(dragonfly);

        var broker = CeleryRedisUrl.Parse(await celery.BrokerUrl.ResolveAsync());
        var results = CeleryRedisUrl.Parse(await celery.ResultBackendUrl.ResolveAsync());

        Assert.Equal(("localhost", 16379, 0, password), (broker.Host, broker.Port, broker.Database, broker.Password));
        Assert.Equal(1, results.Database);
        Assert.Equal(password, results.Password);
    }
}
