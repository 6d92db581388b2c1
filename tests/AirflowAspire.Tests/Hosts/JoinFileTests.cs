using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Hosts;

/// <summary>
/// The join file: written owner-only and read back whole; every way a copy can be wrong is refused on <c>Airflow:Join</c>,
/// saying what to do.
/// </summary>
public sealed class JoinFileTests
{
    internal static JoinFile Sample(string version = "3.0.3") => new()
    {
        Deployment = "airflow",
        DeploymentId = JoinFile.IdFor("jwt-secret"),
        AirflowVersion = version,
        BrokerKind = "dragonfly",
        BrokerHost = "10.0.0.5",
        BrokerPort = 6379,
        BrokerPassword = "BrokerPassw0rd",
        ExecutionApiUrl = "http://10.0.0.5:8080/execution/",
        WorkerLogServerPort = 8793,
        SecretKey = "SecretKey0",
    };

    [Fact]
    public void It_is_written_readable_by_its_owner_only_and_reads_back_the_same()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "join.json");

        Sample().Write(path);

        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.Equal(Sample(), JoinFile.Read(path, "3.0.3"));
    }

    [Fact]
    public void The_deployment_id_tells_deployments_apart_without_giving_away_the_secret()
    {
        Assert.Equal(JoinFile.IdFor("a"), JoinFile.IdFor("a"));
        Assert.NotEqual(JoinFile.IdFor("a"), JoinFile.IdFor("b"));
        Assert.DoesNotContain("jwt-secret", JoinFile.IdFor("jwt-secret"));
    }

    [Fact]
    public void A_missing_file_is_refused_naming_where_it_comes_from()
    {
        var error = Assert.Throws<InvalidSettingException>(() => JoinFile.Read("/nonexistent/join.json", "3.0.3"));
        Assert.Equal("Airflow:Join", error.Setting);
        Assert.Contains(".airflow/join.json from the main host", error.Message);
    }

    [Fact]
    public void A_copy_others_can_read_is_refused_with_the_chmod_that_fixes_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("File modes are checked on Linux and macOS only.");
            return;
        }
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "join.json");
        Sample().Write(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<InvalidSettingException>(() => JoinFile.Read(path, "3.0.3"));
        Assert.Contains($"chmod 600 {path}", error.Message);
    }

    [Theory]
    [InlineData("not json", "the JSON the main host's AppHost writes")]
    [InlineData("""{"format": 1, "deployment": "airflow"}""", "the JSON the main host's AppHost writes")]
    [InlineData("""{"format": 2}""", "format 1")]
    public void A_damaged_or_foreign_file_is_refused(string content, string expected)
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "join.json");
        Sample().Write(path);
        File.WriteAllText(path, content);

        var error = Assert.Throws<InvalidSettingException>(() => JoinFile.Read(path, "3.0.3"));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_main_host_on_another_Airflow_version_is_refused_naming_both()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "join.json");
        Sample("3.0.4").Write(path);

        var error = Assert.Throws<InvalidSettingException>(() => JoinFile.Read(path, "3.0.3"));
        Assert.Contains("this host's Airflow 3.0.3; the main host runs 3.0.4", error.Message);
    }
}
