using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification;

/// <summary>A call to Airflow whose error answer is a failed check, for the steps that go on calling after it.</summary>
internal static class AirflowCall
{
    /// <summary>Calls Airflow; an API error becomes a failed check with Airflow's own detail and its likely cause.</summary>
    public static async Task<(T? Value, bool Failed)> CheckedAsync<T>(VerificationReport report, LikelyCause causes, string check, string expected, Func<Task<T>> call)
    {
        try
        {
            return (await call().ConfigureAwait(false), false);
        }
        catch (AirflowApiException exception)
        {
            report.Add(new Check(check, false, expected, exception.Message, causes.ForApiError(exception)));
            return (default, true);
        }
    }
}
