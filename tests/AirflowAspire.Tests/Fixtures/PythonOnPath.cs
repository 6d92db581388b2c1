using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>What Python tooling this machine has on PATH.</summary>
public static class PythonOnPath
{
    /// <summary>python3's major.minor, or null without python3.</summary>
    public static string? Version()
    {
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"])
            { RedirectStandardOutput = true })!;
            var version = python.StandardOutput.ReadToEnd().Trim();
            python.WaitForExit();
            return python.ExitCode == 0 ? version : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>True when the program is on PATH.</summary>
    public static bool Has(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
