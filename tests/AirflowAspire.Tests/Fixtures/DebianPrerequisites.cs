using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// The Debian packages that <c>tests/install-prerequisites.sh</c> installs for the tests that run real
/// Celery workers and the Airflow stand-in: Celery, redis-py, PyJWT and requests (the stand-in's OTLP client) for /usr/bin/python3. The broker
/// they use is Garnet (in process, or behind the Dragonfly stand-in), from NuGet. And redis-server, for the tests of
/// Airflow:Broker=redis, which run the product's Redis from a local binary (Redis:Executable) as CI and users without a
/// container engine do (<see cref="RequireRedisServer"/>).
/// </summary>
public static class DebianPrerequisites
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Debian's redis-server.</summary>
    public const string RedisServer = "/usr/bin/redis-server";

    /// <summary>Skips the calling test unless everything <see cref="Require"/> needs and redis-server are installed.</summary>
    public static void RequireRedisServer()
    {
        Require();
        if (!File.Exists(RedisServer))
        {
            Assert.Skip($"Needs {RedisServer}: run tests/install-prerequisites.sh (as root; CI's .ci/run does).");
        }
    }

    /// <summary>
    /// Skips the calling test unless everything <see cref="Require"/> needs and psycopg2 (Debian's python3-psycopg2) are
    /// installed: the stand-in's <c>airflow db migrate</c> connects to PostgreSQL with it (Airflow:Database=postgres).
    /// </summary>
    public static void RequirePsycopg2()
    {
        Require();
        using var python = Process.Start(new ProcessStartInfo(Python, ["-c", "import psycopg2"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        python.StandardError.ReadToEnd();
        python.WaitForExit();
        if (python.ExitCode != 0)
        {
            Assert.Skip($"Needs psycopg2 for {Python} (Debian's python3-psycopg2): run tests/install-prerequisites.sh (as root; CI's .ci/run does).");
        }
    }

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Null when everything is there; otherwise what is missing and the command that installs it.</summary>
    public static string? MissingReason => Missing.Value;

    /// <summary>Skips the calling test, naming what is missing, unless everything is installed.</summary>
    public static void Require()
    {
        if (MissingReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    private static string? FindMissing()
    {
        var missing = new List<string>();
        if (!File.Exists(Python))
        {
            missing.Add(Python);
        }
        else
        {
            using var python = Process.Start(new ProcessStartInfo(Python,
                ["-c", "import importlib.util as u; print(' '.join(m for m in ('celery', 'redis', 'jwt', 'requests') if u.find_spec(m) is None))"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var modules = python.StandardOutput.ReadToEnd().Trim();
            python.WaitForExit();
            if (modules.Length > 0)
            {
                missing.Add($"the Python modules {modules} for {Python}");
            }
        }
        return missing.Count == 0 ? null
            : $"Needs {string.Join(", ", missing)}: run tests/install-prerequisites.sh (as root; CI's .ci/run does).";
    }
}
