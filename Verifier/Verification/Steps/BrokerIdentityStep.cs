using AirflowAspire.Verifier.Broker;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>broker</c>: <c>INFO server</c> says the broker is Dragonfly (check <c>broker-is-dragonfly</c>); the report records
/// what it is. It runs whatever happened before: "not Dragonfly" explains a lot.
/// </summary>
public sealed class BrokerIdentityStep(CeleryBrokerInspector broker, LikelyCause causes) : IVerificationStep
{
    private const string Expected = "INFO server reports dragonfly_version";

    /// <inheritdoc />
    public string Name => "broker";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        try
        {
            var identity = await broker.IdentifyAsync().ConfigureAwait(false);
            run.Report.Broker = identity.Description;
            return run.Report.Add(new Check("broker-is-dragonfly", identity.IsDragonfly, Expected, $"{identity.Description} at {identity.Endpoint}",
                identity.IsDragonfly ? null : causes.NotDragonfly));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return run.Report.Add(new Check("broker-is-dragonfly", false, Expected, exception.Message, causes.BrokerDoesNotAnswer));
        }
    }
}
