using System.Diagnostics;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Settings;

/// <summary>
/// The AppHost as its own process, as <c>dotnet run --project AppHost</c> starts it, given a setting it cannot run with:
/// the setting's message is all it prints, and it exits 1. It used to abort (exit 134) with "Unhandled exception." and a
/// stack trace around the message.
/// </summary>
public sealed class BadSettingProcessTests
{
    [Theory]
    [InlineData("--Airflow:PythonVersion=3.15", "Setting Airflow:PythonVersion = '3.15' is not valid")]
    [InlineData("--Airflow:Workers=0", "Setting Airflow:Workers = '0' is not valid")]
    [InlineData("--Dragonfly:Threads=0", "Setting Dragonfly:Threads = '0' is not valid")]
    // Values the configuration binder cannot convert, which aborted with its InvalidOperationException.
    [InlineData("--Airflow:Triggerer=maybe", "Setting Airflow:Triggerer = 'maybe' is not valid: expected true or false.")]
    [InlineData("--Airflow:Workers=two", "Setting Airflow:Workers = 'two' is not valid: expected a whole number.")]
    public async Task A_bad_setting_prints_only_its_message_and_exits_1(string argument, string message)
    {
        var start = new ProcessStartInfo("dotnet", [AppHostModel.AppHostDll, argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppHostModel.AppHostDirectory,
        };
        using var process = Process.Start(start)!;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(bound.Token);
        var error = process.StandardError.ReadToEndAsync(bound.Token);
        await process.WaitForExitAsync(bound.Token);
        var lines = ((await output) + (await error)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Equal(1, process.ExitCode);
        var only = Assert.Single(lines);
        Assert.StartsWith(message, only, StringComparison.Ordinal);
        Assert.Contains("expected", only, StringComparison.Ordinal);
    }
}
