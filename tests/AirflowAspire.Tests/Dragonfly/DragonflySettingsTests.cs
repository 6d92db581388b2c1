using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Dragonfly;

/// <summary>
/// A bad Dragonfly setting stops the AppHost at start with the setting's name and the fix.
/// </summary>
public sealed class DragonflySettingsTests
{
    [Theory]
    [InlineData("--Dragonfly:Threads=0", "Dragonfly:Threads = '0'")]
    [InlineData("--Dragonfly:MaxMemoryMiB=300", "Dragonfly:MaxMemoryMiB = '300'")]
    [InlineData("--Dragonfly:ImageTag=v1.38.1", "Dragonfly:ImageTag = 'v1.38.1'")]
    [InlineData("--Dragonfly:ImageTag=latest", "Dragonfly:ImageTag = 'latest'")]
    [InlineData("--Dragonfly:Executable=/nonexistent/dragonfly", "Dragonfly:Executable = '/nonexistent/dragonfly'")]
    [InlineData("--Dragonfly:Registry=https://mirror.example.com", "Dragonfly:Registry = 'https://mirror.example.com'")]
    [InlineData("--Dragonfly:Image=DragonflyDB/Dragonfly", "Dragonfly:Image = 'DragonflyDB/Dragonfly'")]
    [InlineData("--Dragonfly:MemlockLimit=lots", "Dragonfly:MemlockLimit = 'lots'")]
    [InlineData("--Dragonfly:MemlockLimit=0", "Dragonfly:MemlockLimit = '0'")]
    public async Task Invalid_setting_stops_the_AppHost_naming_it(string argument, string expected)
        => await Invalid_settings_stop_the_AppHost_naming_the_first([argument], expected);

    [Theory]
    [InlineData(new[] { "--Airflow:Broker=redis", "--Redis:Image=library/redis:8.6" }, "Redis:Image = 'library/redis:8.6'")]
    [InlineData(new[] { "--Airflow:Broker=redis", "--Redis:ImageTag=8.6 latest" }, "Redis:ImageTag = '8.6 latest'")]
    [InlineData(new[] { "--Airflow:Database=postgres", "--Postgres:Registry=mirror.example.com/" }, "Postgres:Registry = 'mirror.example.com/'")]
    [InlineData(new[] { "--Dragonfly:Executable=/bin/sh", "--Dragonfly:MemlockLimit=unlimited" }, "Dragonfly:MemlockLimit = 'unlimited'")]
    public async Task Invalid_settings_stop_the_AppHost_naming_the_first(string[] arguments, string expected)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync(arguments));

        var invalid = Assert.IsType<AirflowAspire.AppHost.InvalidSettingException>(exception.GetBaseException());
        Assert.StartsWith($"Setting {expected} is not valid: expected ", invalid.Message);
    }

    [Fact]
    public async Task Memory_below_256_MiB_per_thread_says_what_the_thread_count_needs()
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModel.BuildAsync("--Dragonfly:MaxMemoryMiB=300"));

        Assert.Contains("at least 256 MiB per thread (512 for 2 threads)", exception.GetBaseException().Message);
    }

    [Fact]
    public async Task Newer_release_tag_is_accepted()
    {
        await using var app = await AppHostModel.BuildAsync("--Dragonfly:ImageTag=v1.41.0");

        var image = app.Resource<AirflowAspire.AppHost.Dragonfly.DragonflyResource>("dragonfly").Annotations.OfType<ContainerImageAnnotation>().Single();
        Assert.Equal("v1.41.0", image.Tag);
    }
}
