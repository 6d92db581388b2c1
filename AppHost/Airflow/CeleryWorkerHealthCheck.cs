using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// Healthy when the Celery worker named <c>node</c> answers a remote-control ping through the broker,
/// as <c>celery inspect ping -d NODE</c> in Airflow's docker-compose: the worker is connected to
/// the broker and its consumer loop runs, which a running process alone does not prove.
/// </summary>
/// <param name="brokerConnectionString">The broker, in StackExchange.Redis form, resolved at each check.</param>
/// <param name="database">The broker's database (Celery's broker URL <c>…/N</c>).</param>
/// <param name="node">The worker's Celery node name, <c>name@host</c>.</param>
public sealed class CeleryWorkerHealthCheck(ReferenceExpression brokerConnectionString, int database, string node) : IHealthCheck, IAsyncDisposable
{
    /// <summary>How long a worker has to answer; Celery's own <c>inspect</c> waits 1 s.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _broker;
    private CeleryRemoteControl? _control;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var control = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var ping = await control.PingAsync(node, PingTimeout, cancellationToken).ConfigureAwait(false);
            return ping.Outcome switch
            {
                CeleryPingOutcome.Answered => HealthCheckResult.Healthy($"Celery worker {node} answered a ping: {ping.Answer}."),
                CeleryPingOutcome.NoWorkers => HealthCheckResult.Unhealthy(
                    $"No Celery worker is connected to the broker (db {database}): {node} has not started its consumer yet, or uses another broker."),
                _ => HealthCheckResult.Unhealthy(
                    $"Celery worker {node} did not answer a ping within {PingTimeout.TotalSeconds:0} s ({ping.Listeners} client(s) listen on the broker)."),
            };
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"Cannot ping Celery worker {node}: the broker is not answering ({exception.Message}).");
        }
    }

    private async Task<CeleryRemoteControl> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_control is not null && _broker is { IsConnected: true })
        {
            return _control;
        }
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_control is null || _broker is not { IsConnected: true })
            {
                if (_broker is not null)
                {
                    await _broker.DisposeAsync().ConfigureAwait(false);
                }
                var options = ConfigurationOptions.Parse(await brokerConnectionString.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? "");
                options.ConnectTimeout = (int)PingTimeout.TotalMilliseconds;
                _broker = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
                _control = new CeleryRemoteControl(_broker, database);
            }
            return _control;
        }
        finally
        {
            _connecting.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            if (_control is not null && _broker.IsConnected)
            {
                try
                {
                    await _control.ForgetAsync().WaitAsync(PingTimeout).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is RedisException or TimeoutException)
                {
                    // The broker went first: its reply list expires by itself.
                }
            }
            await _broker.DisposeAsync().ConfigureAwait(false);
        }
        _connecting.Dispose();
    }
}

/// <summary>Registers <see cref="CeleryWorkerHealthCheck"/> for a resource.</summary>
public static class CeleryWorkerHealthCheckExtensions
{
    /// <summary>
    /// Makes <paramref name="resource"/> healthy while the Celery worker <paramref name="node"/> answers a ping through the broker
    /// whose StackExchange.Redis connection string is <paramref name="brokerConnectionString"/> (Celery's broker database).
    /// </summary>
    public static IResourceBuilder<T> WithCeleryPingHealthCheck<T>(this IResourceBuilder<T> resource, ReferenceExpression brokerConnectionString, string node)
        where T : IResource
    {
        var key = $"{resource.Resource.Name}_celery_ping";
        var services = resource.ApplicationBuilder.Services;
        services.AddKeyedSingleton(key, (_, _) => new CeleryWorkerHealthCheck(brokerConnectionString, CeleryBroker.BrokerDatabase, node));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, sp => sp.GetRequiredKeyedService<CeleryWorkerHealthCheck>(key), failureStatus: null, tags: null));
        return resource.WithHealthCheck(key);
    }
}
