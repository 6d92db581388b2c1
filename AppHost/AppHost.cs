using System.Reflection;
using AirflowAspire.AppHost;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Deployments;

// One AppHost, three deployments: it chooses by its settings, and each deployment's topology is in its own file.
try
{
    var builder = DistributedApplication.CreateBuilder(args);
    var top = RepositoryPaths.Top(builder.AppHostDirectory);
    var airflowSettings = AirflowSettings.From(builder.Configuration, top);
    var benchmark = BenchmarkSettings.From(builder.Configuration);
    // Publishing (--operation publish --publisher manifest) writes a manifest for a cluster: settings that only work here are refused.
    if (builder.ExecutionContext.IsPublishMode)
    {
        ClusterPublishing.ThrowIfLocalOnly(builder.Configuration, airflowSettings);
    }

    if (benchmark.Enabled)
    {
        // --Benchmark:Brokers=dragonfly,redis: the brokers side by side and real Celery; no Airflow process.
        BrokerBenchmarkDeployment.Add(builder, top, airflowSettings, benchmark);
    }
    else if (airflowSettings.RunsWorkersOnly)
    {
        // --Airflow:Role=workers --Airflow:Join=PATH: Celery workers on this host for a deployment on another (its join file).
        JoinedWorkersDeployment.Add(builder, airflowSettings);
    }
    else
    {
        // The whole stack on this machine: broker, Airflow's processes, the Verifier.
        StackDeployment.Add(builder, top, airflowSettings);
    }
    builder.Build().Run();
    return 0;
}
catch (InvalidSettingException invalid) when (Assembly.GetEntryAssembly() == typeof(InvalidSettingException).Assembly)
{
    // A bad setting is the user's to fix, not a crash: its message (the setting, the value, what is expected) is the only
    // output, and the exit code is 1 instead of the runtime's abort (134) with a stack trace. Only when the AppHost is its own
    // process: under DistributedApplicationTestingBuilder the exception reaches the test that asked for it.
    Console.Error.WriteLine(invalid.Message);
    return 1;
}
