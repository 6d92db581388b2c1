using System.Diagnostics;

namespace AirflowAspire.Tests.Fixtures;

/// <summary>What a machine offers the end-to-end tests: a container engine, a package index.</summary>
public static class Prerequisites
{
    /// <summary>True when <c>docker info</c> succeeds within a few seconds (against the engine the tests started with).</summary>
    public static async Task<bool> ContainerEngineRunsAsync()
    {
        try
        {
            return (await ContainerEngine.DockerAsync(TimeSpan.FromSeconds(10), "info")).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Null when the package index pip would use answers; otherwise why it does not.</summary>
    public static async Task<string?> PackageIndexUnreachableAsync()
    {
        var index = Environment.GetEnvironmentVariable("UV_INDEX_URL") ?? Environment.GetEnvironmentVariable("PIP_INDEX_URL") ?? "https://pypi.org/simple/";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(index.TrimEnd('/') + "/apache-airflow/");
            return response.IsSuccessStatusCode ? null : $"{index} answered {(int)response.StatusCode}";
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return $"{index} is unreachable: {exception.Message}";
        }
    }
}
