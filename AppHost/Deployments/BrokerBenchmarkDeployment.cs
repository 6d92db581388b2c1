using AirflowAspire.AppHost.Airflow;
using AirflowAspire.AppHost.Benchmark;
using AirflowAspire.AppHost.Dragonfly;
using AirflowAspire.AppHost.Redis;

namespace AirflowAspire.AppHost.Deployments;

/// <summary><c>--Benchmark:Brokers=dragonfly,redis</c>: the brokers side by side and real Celery from the Airflow environment; no Airflow process.</summary>
internal static class BrokerBenchmarkDeployment
{
    public static void Add(IDistributedApplicationBuilder builder, string top, AirflowSettings airflow, BenchmarkSettings benchmark)
    {
        var environment = builder.AddAirflowEnvironment("airflow-env", airflow);
        var brokers = benchmark.BrokerList.Select(name => name == "redis"
            ? Brokers.AddRedis(builder, RedisSettings.From(builder.Configuration, top))
            : Brokers.AddDragonfly(builder, DragonflySettings.From(builder.Configuration, top), airflow)).ToList();
        builder.AddBrokerBenchmark("broker-benchmark", environment, brokers, benchmark, new AirflowPaths(top, airflow).BrokerBenchmarkReport);
    }
}
