using System.IO.Compression;
using System.Text;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// A folder of pure-Python wheels made on the fly (a module, its METADATA with Requires-Dist lines, WHEEL and RECORD), which pip
/// installs from with <c>PIP_FIND_LINKS</c>: the installs of the environment step tested without PyPI, which is unreachable here.
/// </summary>
public sealed class LocalWheels : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    /// <summary>The folder, for <c>PIP_FIND_LINKS</c>.</summary>
    public string Folder => _folder.Path;

    /// <summary>Adds the wheel of <paramref name="name"/> <paramref name="version"/>, depending on <paramref name="requires"/>.</summary>
    public LocalWheels Add(string name, string version, params string[] requires)
    {
        var module = name.Replace('-', '_');
        var info = $"{module}-{version}.dist-info";
        var files = new Dictionary<string, string>
        {
            [$"{module}/__init__.py"] = $"VERSION = '{version}'\n",
            [$"{info}/METADATA"] = $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + string.Concat(requires.Select(r => $"Requires-Dist: {r}\n")),
            [$"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: airflowaspire-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        };
        // RECORD lists every file; hashes may be left empty (PEP 376/427), which pip accepts.
        files[$"{info}/RECORD"] = string.Concat(files.Keys.Select(f => $"{f},,\n")) + $"{info}/RECORD,,\n";
        using var wheel = ZipFile.Open(Path.Combine(Folder, $"{module}-{version}-py3-none-any.whl"), ZipArchiveMode.Create);
        foreach (var (path, content) in files)
        {
            using var stream = wheel.CreateEntry(path).Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
        return this;
    }

    public void Dispose() => _folder.Dispose();
}
