using System.Net;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Airflow.Hosts;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Python;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Hosts;

/// <summary>
/// The two AppHost roles of a deployment across hosts, as models: the main host listening on an address of this machine,
/// and a workers-only host built from a join file. Nothing starts.
/// </summary>
public sealed class RemoteWorkersModelTests
{
    private const string DragonflyPassword = "DragonflyPassw0rd";

    private static string? OwnAddress()
        => MachineAddresses.Own().FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();

    private static void Allocate(IResourceWithEndpoints resource, string name, string address)
    {
        var annotation = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == name);
        annotation.AllocatedEndpoint = new AllocatedEndpoint(annotation, address, annotation.Port!.Value, targetPortExpression: annotation.TargetPort!.Value.ToString());
    }

    [Fact]
    public async Task With_a_listen_address_the_broker_and_api_server_listen_there_on_fixed_ports_and_remote_workers_get_rows()
    {
        var address = OwnAddress();
        if (address is null)
        {
            Assert.Skip("This machine has no IPv4 address but loopback, which Airflow:ListenAddress refuses.");
            return;
        }
        await using var app = await AppHostModel.BuildAsync($"--Parameters:dragonfly-password={DragonflyPassword}",
            "--Dragonfly:Executable=/bin/true", $"--Airflow:ListenAddress={address}",
            "--Airflow:RemoteWorkers=airflow-worker-1@hostb,airflow-worker-2@hostb", "--Airflow:VerificationQueue=remote");
        var dragonfly = app.Resource<DragonflyExecutableResource>("dragonfly");
        var api = app.Resource<AirflowProcessResource>("airflow-api");
        Allocate(dragonfly, "tcp", address);
        Allocate(api, "http", address);
        app.AllocateAllEndpoints();

        var dragonflyArgs = await app.ArgumentsAsync(dragonfly);
        Assert.Contains($"--bind={address}", dragonflyArgs);
        Assert.Contains("--port=6379", dragonflyArgs);
        var apiArgs = (await app.ArgumentsAsync(api)).ToList();
        Assert.Equal(address, apiArgs[apiArgs.IndexOf("--host") + 1]);
        Assert.Equal("8080", apiArgs[apiArgs.IndexOf("--port") + 1]);
        var worker = await app.EnvironmentAsync(app.Resource<CeleryWorkerResource>("airflow-worker-1"));
        Assert.Equal($"redis://:{DragonflyPassword}@{address}:6379/0", worker["AIRFLOW__CELERY__BROKER_URL"]);
        Assert.Equal($"http://{address}:8080/execution/", worker["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]);
        Assert.Equal("remote", worker[AirflowEnvironment.VerificationQueueVariable]);

        var remote = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<RemoteCeleryWorkerResource>().ToList();
        Assert.Equal(["airflow-worker-1@hostb", "airflow-worker-2@hostb"], remote.Select(r => r.NodeName));
        Assert.All(remote, r => Assert.Contains(r.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key.EndsWith("_celery_ping", StringComparison.Ordinal)));
        var verifier = await app.EnvironmentAsync(app.Resource<AirflowAspire.AppHost.Verifier.VerifierResource>("verifier"));
        Assert.Equal("default,remote", verifier["Verifier__Queues"]);
        Assert.Contains("airflow-remote-worker-1", verifier["Verifier__Resources__Workers"]);
    }

    [Theory]
    [InlineData("127.0.0.1", "not loopback")]
    [InlineData("0.0.0.0", "not 0.0.0.0")]
    [InlineData("203.0.113.7", "an address of this machine")]
    [InlineData("not-an-address", "one IP address of this machine")]
    public async Task A_listen_address_other_hosts_cannot_use_is_refused_listing_this_machines_addresses(string address, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync($"--Airflow:ListenAddress={address}"));
        var setting = Assert.IsType<InvalidSettingException>(error.GetBaseException());
        Assert.Equal("Airflow:ListenAddress", setting.Setting);
        Assert.Contains(expected, setting.Message);
    }

    [Theory]
    [InlineData("--Airflow:RemoteWorkers=airflow-worker-1@hostb", "Airflow:RemoteWorkers", "Airflow:ListenAddress is set too")]
    [InlineData("--Airflow:Role=manager", "Airflow:Role", "all (the whole deployment")]
    [InlineData("--Airflow:Role=workers", "Airflow:Join", "the join file the main host wrote")]
    public async Task Settings_of_a_deployment_across_hosts_that_cannot_work_are_refused_with_their_fix(string argument, string setting, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync(argument));
        var invalid = Assert.IsType<InvalidSettingException>(error.GetBaseException());
        Assert.Equal(setting, invalid.Setting);
        Assert.Contains(expected, invalid.Message);
    }

    [Fact]
    public async Task The_workers_role_runs_only_joined_workers_configured_from_the_join_file_with_secrets_in_parameters()
    {
        using var folder = new TemporaryFolder();
        var joinPath = Path.Combine(folder.Path, "join.json");
        var join = JoinFileTests.Sample(AppHostModel.DefaultAirflowVersion);
        join.Write(joinPath);
        await using var app = await AppHostModel.BuildAsync("--Airflow:Role=workers", $"--Airflow:Join={joinPath}", "--Airflow:Workers=2",
            "--Airflow:Queues=remote", "--Airflow:AdvertisedAddress=10.0.0.7", $"--Airflow:Home={Path.Combine(folder.Path, "home")}");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        app.AllocateAllEndpoints();

        Assert.Equal(["airflow-env", "airflow-join", "airflow-worker-1", "airflow-worker-2"],
            model.Resources.Where(r => r is not ParameterResource).Select(r => r.Name).Order(StringComparer.Ordinal));
        var first = model.Resources.OfType<PythonAppResource>().Single(r => r.Name == "airflow-worker-1");
        var second = model.Resources.OfType<PythonAppResource>().Single(r => r.Name == "airflow-worker-2");
        var args = await app.ArgumentsAsync(first);
        Assert.Equal(["celery", "worker", "--queues", "remote", "--concurrency", "4", "--celery-hostname", $"airflow-worker-1@{Dns.GetHostName()}"], args);
        Assert.Contains("--skip-serve-logs", await app.ArgumentsAsync(second));

        var env = await app.EnvironmentAsync(first);
        Assert.Equal($"redis://:{join.BrokerPassword}@10.0.0.5:6379/0", env["AIRFLOW__CELERY__BROKER_URL"]);
        Assert.Equal($"redis://:{join.BrokerPassword}@10.0.0.5:6379/1", env["AIRFLOW__CELERY__RESULT_BACKEND"]);
        Assert.Equal(join.ExecutionApiUrl, env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]);
        Assert.Equal(join.SecretKey, env["AIRFLOW__API__SECRET_KEY"]);
        Assert.Equal("8793", env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]);
        // No metadata database across hosts: the migration check is off and the URL is a file of this host.
        Assert.Equal("False", env["AIRFLOW__DATABASE__CHECK_MIGRATIONS"]);
        Assert.Equal($"sqlite:///{Path.Combine(folder.Path, "home", "airflow.db")}", env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
        Assert.Equal("airflow_aspire_hostname.advertised_address", env["AIRFLOW__CORE__HOSTNAME_CALLABLE"]);
        Assert.Equal("10.0.0.7", env["AIRFLOW_ASPIRE_ADVERTISED_ADDRESS"]);
        Assert.True(File.Exists(Path.Combine(env["PYTHONPATH"], "airflow_aspire_hostname.py")));
        Assert.DoesNotContain(env, e => e.Key == "AIRFLOW__API_AUTH__JWT_SECRET" || e.Key == "AIRFLOW__CORE__FERNET_KEY");

        // The secrets are secret parameters, and on no command line.
        Assert.All(model.Resources.OfType<ParameterResource>(), p => Assert.True(p.Secret, p.Name));
        Assert.DoesNotContain(args, a => a.Contains(join.BrokerPassword, StringComparison.Ordinal) || a.Contains(join.SecretKey, StringComparison.Ordinal));

        var known = AirflowReference.ConfigKeys("3.0");
        Assert.All(env.Keys.Where(k => k.StartsWith("AIRFLOW__", StringComparison.Ordinal)), key =>
        {
            var parts = key["AIRFLOW__".Length..].Split("__");
            Assert.Contains((parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant()), known);
        });
    }
}
