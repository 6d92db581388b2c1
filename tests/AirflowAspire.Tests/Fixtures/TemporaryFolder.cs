namespace AirflowAspire.Tests.Fixtures;

/// <summary>A folder of its own for one test, removed afterwards.</summary>
public sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("airflowaspire-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
