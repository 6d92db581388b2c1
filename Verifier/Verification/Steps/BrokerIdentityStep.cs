using AirflowAspire.Verifier.Broker;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary>
/// <c>broker</c>: <c>INFO server</c> says the broker is the server the AppHost chose (check <c>broker-is-dragonfly</c> or
/// <c>broker-is-redis</c>, from <see cref="VerifierOptions.ExpectedBroker"/>); the report records what it is. It runs
/// whatever happened before: "not the broker the AppHost chose" explains a lot.
/// </summary>
public sealed class BrokerIdentityStep(CeleryBrokerInspector broker, LikelyCause causes, string expectedBroker) : IVerificationStep
{
    private string CheckName => $"broker-is-{expectedBroker.ToLowerInvariant()}";

    private string Expected => expectedBroker.Equals("dragonfly", StringComparison.OrdinalIgnoreCase)
        ? "INFO server reports dragonfly_version"
        : $"INFO server reports {expectedBroker.ToLowerInvariant()}_version and no other server's";

    /// <inheritdoc />
    public string Name => "broker";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        try
        {
            var identity = await broker.IdentifyAsync().ConfigureAwait(false);
            run.Report.Broker = identity.Description;
            var held = identity.Is(expectedBroker);
            return run.Report.Add(new Check(CheckName, held, Expected, $"{identity.Description} at {identity.Endpoint}",
                held ? null : causes.NotTheChosenBroker));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return run.Report.Add(new Check(CheckName, false, Expected, exception.Message, causes.BrokerDoesNotAnswer));
        }
    }
}
