using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification.Steps;

/// <summary><c>login</c>: the simple auth manager gives <see cref="VerifierOptions.Username"/> a token (check <c>token</c>).</summary>
public sealed class LogInStep(AirflowClient airflow, VerifierOptions options, LikelyCause causes) : IVerificationStep
{
    /// <inheritdoc />
    public string Name => "login";

    /// <inheritdoc />
    public async Task<bool> RunAsync(VerificationRun run, CancellationToken ct)
    {
        var expected = $"POST /auth/token as {options.Username} gives a token";
        try
        {
            await airflow.LogInAsync(options.Username, options.Password, ct).ConfigureAwait(false);
            return run.Report.Add(new Check("token", true, expected, "201 with an access token"));
        }
        catch (AirflowApiException exception)
        {
            return run.Report.Add(new Check("token", false, expected, exception.Message, causes.TokenRefused(exception)));
        }
    }
}
