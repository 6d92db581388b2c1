using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AirflowAspire.AppHost.Airflow.Hosts;

/// <summary>
/// On a workers-only host: healthy when the deployment in the join file can be joined from here. Each way it cannot is
/// named with its fix: the broker unreachable, its password refused, the broker belonging to another deployment, the
/// api-server unreachable. The workers wait for it, so none of them starts into a deployment it cannot reach.
/// </summary>
/// <param name="join">The join file's contents.</param>
/// <param name="joinPath">Where it was read from, to name in the messages.</param>
/// <param name="brokerPassword">The broker's password, a secret parameter made from the file.</param>
public sealed class JoinHealthCheck(JoinFile join, string joinPath, ParameterResource brokerPassword) : IHealthCheck
{
    /// <summary>How long each step may take.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(3);

    private static readonly HttpClient Http = new() { Timeout = StepTimeout };

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var broker = $"{join.BrokerHost}:{join.BrokerPort}";
        if (await ReachAsync(join.BrokerHost, join.BrokerPort, cancellationToken).ConfigureAwait(false) is { } unreachable)
        {
            return HealthCheckResult.Unhealthy(
                $"Cannot reach the broker at {broker} named in {joinPath} ({unreachable}). Check that the main host's AppHost runs with " +
                $"--Airflow:ListenAddress={join.BrokerHost}, and that nothing between the hosts blocks TCP port {join.BrokerPort}.");
        }

        string? announced;
        try
        {
            var options = new ConfigurationOptions
            {
                EndPoints = { { join.BrokerHost, join.BrokerPort } },
                Password = await brokerPassword.GetValueAsync(cancellationToken).ConfigureAwait(false),
                AbortOnConnectFail = true,
                ConnectTimeout = (int)StepTimeout.TotalMilliseconds,
                ConnectRetry = 0,
            };
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            announced = await connection.GetDatabase(CeleryBroker.BrokerDatabase).StringGetAsync(JoinFile.DeploymentKey).ConfigureAwait(false);
        }
        catch (RedisException exception) when (IsAuthenticationFailure(exception))
        {
            return HealthCheckResult.Unhealthy(
                $"The broker at {broker} refused the password in {joinPath}: the join file is from another deployment, or the main host's broker " +
                "password changed since it was written. Copy .airflow/join.json from the main host again.");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The broker at {broker} does not answer as a Redis-protocol server ({exception.Message}).");
        }
        if (announced is null)
        {
            return HealthCheckResult.Unhealthy(
                $"No AirflowAspire deployment has announced itself on the broker at {broker} yet: start the main host's AppHost (it announces " +
                "itself once its broker is healthy).");
        }
        if (announced != join.DeploymentId)
        {
            return HealthCheckResult.Unhealthy(
                $"The join file {joinPath} is from another deployment ({join.DeploymentId}) than the one whose broker is at {broker} ({announced}). " +
                "Copy the current .airflow/join.json from the main host.");
        }

        var health = new Uri(new Uri(join.ExecutionApiUrl), "/api/v2/monitor/health");
        try
        {
            using var response = await Http.GetAsync(health, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return HealthCheckResult.Unhealthy($"The api-server at {health.GetLeftPart(UriPartial.Authority)} answered {(int)response.StatusCode} to {health.AbsolutePath}: it is not ready yet.");
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy(
                $"Cannot reach the api-server's Task Execution API at {join.ExecutionApiUrl} ({exception.Message}). Check that the main host runs with " +
                $"--Airflow:ListenAddress={health.Host}, and that nothing between the hosts blocks TCP port {health.Port}.");
        }
        return HealthCheckResult.Healthy($"Joined '{join.Deployment}' ({join.DeploymentId}): broker {broker}, Task Execution API {join.ExecutionApiUrl}.");
    }

    private static bool IsAuthenticationFailure(RedisException exception)
        => exception is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
           || new[] { "WRONGPASS", "NOAUTH", "invalid password", "AUTH failed" }.Any(text => exception.ToString().Contains(text, StringComparison.OrdinalIgnoreCase));

    private static async Task<string?> ReachAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(StepTimeout);
        try
        {
            await client.ConnectAsync(host, port, bound.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {StepTimeout.TotalSeconds:0} s";
        }
        catch (SocketException exception)
        {
            return exception.Message;
        }
    }
}
