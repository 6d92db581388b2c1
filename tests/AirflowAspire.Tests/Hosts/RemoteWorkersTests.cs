using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AirflowAspire.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AirflowAspire.Tests.Hosts;

/// <summary>
/// Celery workers on another host, across a real network link: the main AppHost runs on this machine listening on its
/// end of a veth pair (<c>Airflow:ListenAddress</c>), a workers-role AppHost (<c>Airflow:Role=workers</c>) runs in a
/// network namespace with its own address and host name, joined through the join file the main one wrote. Both run the
/// stand-in of Airflow's processes; the broker is the Dragonfly stand-in. The workers host has its own copy of the DAG files.
/// </summary>
public sealed class RemoteWorkersTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private const string RemoteQueue = "remote";

    [Fact]
    public async Task The_DAG_runs_on_the_remote_worker_its_health_follows_the_link_and_a_stuck_run_names_it()
    {
        if (NetworkNamespaceHost.Unavailable() is { } reason)
        {
            Assert.Skip($"Needs network namespaces to make a second host: {reason}.");
        }
        DebianPrerequisites.Require();
        using var standIn = AirflowStandIn.Create();
        using var remoteFolder = new TemporaryFolder();
        // The worker host's own copy of the DAG files, as a user makes one there.
        var remoteDags = Directory.CreateDirectory(Path.Combine(remoteFolder.Path, "dags")).FullName;
        var dagFile = Path.Combine(remoteDags, "hello_dragonfly.py");
        File.Copy(Path.Combine(AppHostModel.AppHostDirectory, "..", "airflow", "dags", "hello_dragonfly.py"), dagFile);
        using var remoteHost = NetworkNamespaceHost.Create();
        var node = $"airflow-worker-1@{remoteHost.HostName}";
        var (brokerPort, apiPort, logPort) = (FreePort(), FreePort(), FreePort());

        // The main host: local workers on "default" only, the Verifier's DAG on the queue only the remote worker consumes.
        // Its start completes once the Verifier has started, which waits for the remote worker: the workers host is started
        // meanwhile, as soon as the join file is there.
        var starting = RunningAppHost.StartAsync(Bound,
        [
            .. standIn.AppHostArguments,
            $"--Airflow:ListenAddress={remoteHost.MainAddress}",
            $"--Dragonfly:Port={brokerPort}", $"--Airflow:ApiPort={apiPort}", $"--Airflow:WorkerLogServerPort={logPort}",
            $"--Airflow:RemoteWorkers={node}",
            $"--Airflow:VerificationQueue={RemoteQueue}",
        ]);
        var joinFile = Path.Combine(standIn.Folder, "join.json");
        var deadline = DateTime.UtcNow + Bound;
        while (!File.Exists(joinFile))
        {
            Assert.True(DateTime.UtcNow < deadline && !starting.IsFaulted, $"The main AppHost wrote no join file within {Bound.TotalSeconds:0} s ({starting.Exception?.Message}).");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(joinFile));
        }

        // The workers host, as a user starts it there.
        var remoteLog = new List<string>();
        // From the AppHost's folder, as `dotnet run --project AppHost` runs it: its appsettings.json is read from there.
        remoteHost.Start(AppHostModel.AppHostDirectory, new Dictionary<string, string>
        {
            // What `dotnet run` takes from the AppHost's launch profile; the dashboard's ports are the namespace's own.
            ["ASPNETCORE_URLS"] = "http://localhost:15080",
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://localhost:19080",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://localhost:20080",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            ["DOTNET_ENVIRONMENT"] = "Development",
        }, remoteLog, "dotnet", AppHostModel.AppHostDll,
            "--Airflow:Role=workers", $"--Airflow:Join={joinFile}", $"--Airflow:Queues={RemoteQueue}",
            $"--Airflow:VirtualEnvironment={standIn.VirtualEnvironment}", $"--Airflow:Version={standIn.AirflowVersion}",
            $"--Airflow:Home={Path.Combine(remoteFolder.Path, "home")}",
            $"--Airflow:DagsFolder={remoteDags}");
        await using var main = await starting;
        // The dashboard says where the join file is, on the deployment's row.
        main.App.ResourceNotifications.TryGetCurrentState("airflow", out var deployment);
        Assert.Contains(deployment!.Snapshot.Properties, p => p.Name == RemoteWorkersBuilderExtensions.JoinFileProperty && Equals(p.Value, joinFile));

        // The remote worker answers the main dashboard's ping, the Verifier then runs its DAG on it, and it passes.
        var remoteRow = "airflow-remote-worker-1";
        await WaitForHealthAsync(main, remoteRow, HealthStatus.Healthy, remoteLog);
        var verifier = await main.WaitForStateAsync("verifier", Bound, "Finished", "Exited", "FailedToStart");
        using (var report = standIn.ReadReport())
        {
            var checks = report.RootElement.GetProperty("checks").EnumerateArray().ToList();
            Assert.All(checks.Where(c => c.GetProperty("name").GetString() != "broker-is-dragonfly"),
                c => Assert.True(c.GetProperty("passed").GetBoolean(), $"{c}\nremote AppHost:\n{string.Join('\n', remoteLog.TakeLast(30))}"));
            // ti.hostname is the address the remote worker advertised: only the namespace has it.
            Assert.Equal($"first_task on {remoteHost.Address}", Check(report, "tasks-ran-on-a-host").GetProperty("seen").GetString());
            Assert.Contains($"on {RemoteQueue}", Check(report, "tasks-on-worker-queues").GetProperty("seen").GetString());
            // The main api-server read the task's log from the remote worker's log server.
            Assert.True(Check(report, "task-log-has-output").GetProperty("passed").GetBoolean());
        }
        Assert.Equal(1, verifier.Snapshot.ExitCode); // Only the broker identity fails: the stand-in is not Dragonfly.

        // Cut the link: the remote worker is unhealthy on the main dashboard, and a run on its queue ends naming it.
        remoteHost.CutLink();
        await WaitForHealthAsync(main, remoteRow, HealthStatus.Unhealthy, remoteLog);
        var stuck = await RunVerifierAsync(main, Path.Combine(standIn.Folder, "stuck-report.json"));
        var runFinished = Check(stuck, "run-finished");
        Assert.False(runFinished.GetProperty("passed").GetBoolean());
        var cause = runFinished.GetProperty("cause").GetString();
        Assert.Contains($"'{RemoteQueue}'", cause);
        Assert.Contains(remoteRow, cause);

        // Restore it: the same worker, never restarted, is healthy again.
        remoteHost.RestoreLink();
        await WaitForHealthAsync(main, remoteRow, HealthStatus.Healthy, remoteLog);

        // Without the DAG file on the worker host, the task fails with Airflow's own error, and the Verifier names it.
        File.Delete(dagFile);
        var missing = await RunVerifierAsync(main, Path.Combine(standIn.Folder, "missing-dag-report.json"));
        var failed = Check(missing, "run-succeeded");
        Assert.False(failed.GetProperty("passed").GetBoolean());
        Assert.Contains("DAG not found during start up", failed.GetProperty("cause").GetString());
        Assert.Contains("copy the DAG files to each worker's host", failed.GetProperty("cause").GetString());
    }

    private static JsonElement Check(JsonDocument report, string name)
        => report.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The Verifier once more, as a process with the environment the AppHost gives it and a short run timeout.</summary>
    private static async Task<JsonDocument> RunVerifierAsync(RunningAppHost main, string reportPath)
    {
        var verifier = main.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "verifier");
        var start = new ProcessStartInfo("dotnet", [AppHostModel.VerifierDll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in await main.App.EnvironmentAsync(verifier))
        {
            start.Environment[name] = value;
        }
        start.Environment["Verifier__ReportPath"] = reportPath;
        start.Environment["Verifier__RunTimeout"] = "00:00:15";
        // No dashboard here to send telemetry to.
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        Assert.True(File.Exists(reportPath), $"The Verifier exited {process.ExitCode} without a report:\n{await output}\n{await errors}");
        return JsonDocument.Parse(await File.ReadAllTextAsync(reportPath, TestContext.Current.CancellationToken));
    }

    private static async Task WaitForHealthAsync(RunningAppHost main, string resource, HealthStatus status, List<string> remoteLog)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(Bound);
        try
        {
            await main.App.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.HealthStatus == status, bound.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            main.App.ResourceNotifications.TryGetCurrentState(resource, out var last);
            string remote;
            lock (remoteLog)
            {
                remote = string.Join('\n', remoteLog.TakeLast(40));
            }
            Assert.Fail($"{resource} did not become {status} within {Bound.TotalSeconds:0} s (last: {last?.Snapshot.HealthStatus}, " +
                $"{string.Join("; ", last?.Snapshot.HealthReports.Select(r => r.Description) ?? [])}).\nThe remote AppHost's output:\n{remote}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
