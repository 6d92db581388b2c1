using System.Diagnostics;
using System.Text.Json;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A virtual environment whose <c>bin/airflow</c> is the stand-in of Airflow 3.0.3's processes
/// (<c>tests/AirflowStandIn</c>), made by its <c>make-venv</c> in a temporary folder, for
/// <c>--Airflow:VirtualEnvironment</c>; and the Dragonfly stand-in (<c>tests/DragonflyStandIn</c>, Garnet behind
/// Dragonfly's command line) in place of the Dragonfly binary.
/// </summary>
public sealed class AirflowStandIn : IDisposable
{
    private static readonly string TestsFolder = Path.GetFullPath(Path.Combine(AppHostModel.AppHostDirectory, "..", "tests"));
    private readonly TemporaryFolder _folder = new();

    private AirflowStandIn(string airflowVersion) => AirflowVersion = airflowVersion;

    /// <summary>The Airflow release the stand-in plays (its environment's metadata says so, as a real one's would).</summary>
    public string AirflowVersion { get; }

    /// <summary>The folder of this run: the environment, <c>AIRFLOW_HOME</c>, the Verifier's report.</summary>
    public string Folder => _folder.Path;

    /// <summary>The virtual environment.</summary>
    public string VirtualEnvironment => Path.Combine(Folder, "venv");

    /// <summary>Where the AppHost puts the Verifier's report for <c>--Airflow:Home={Folder}/home</c>.</summary>
    public string ReportPath => Path.Combine(Folder, "verifier-report.json");

    /// <summary>The AppHost arguments that run the whole stack on the stand-in.</summary>
    public IEnumerable<string> AppHostArguments =>
    [
        $"--Dragonfly:Executable={AppHostModel.DragonflyStandIn}",
        $"--Airflow:VirtualEnvironment={VirtualEnvironment}",
        $"--Airflow:Version={AirflowVersion}",
        $"--Airflow:Home={Path.Combine(Folder, "home")}",
    ];

    /// <summary>
    /// Makes the environment of a stand-in that plays <paramref name="airflowVersion"/>, with the Celery provider its line's
    /// constraints pin or <paramref name="celeryProvider"/>. Call <see cref="DebianPrerequisites.Require"/> first.
    /// </summary>
    public static AirflowStandIn Create(string airflowVersion = "3.0.3", string? celeryProvider = null)
    {
        var standIn = new AirflowStandIn(airflowVersion);
        using var make = Process.Start(new ProcessStartInfo(Path.Combine(TestsFolder, "AirflowStandIn", "make-venv"),
            [standIn.VirtualEnvironment, "--airflow-version", airflowVersion, .. celeryProvider is null ? Array.Empty<string>() : ["--celery-provider", celeryProvider]])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var errors = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0)
        {
            standIn.Dispose();
            throw new InvalidOperationException($"make-venv failed ({make.ExitCode}): {errors}");
        }
        return standIn;
    }

    /// <summary>Induces faults in the stand-in's processes (see tests/AirflowStandIn/README.md).</summary>
    public void InduceFaults(object faults)
        => File.WriteAllText(Path.Combine(VirtualEnvironment, "airflow-standin-faults.json"), JsonSerializer.Serialize(faults));

    /// <summary>The Verifier's JSON report.</summary>
    public JsonDocument ReadReport() => JsonDocument.Parse(File.ReadAllText(ReportPath));

    public void Dispose() => _folder.Dispose();
}
