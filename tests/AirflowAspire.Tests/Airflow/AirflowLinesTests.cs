using System.Text.Json;
using AirflowAspire.AppHost.Airflow;

namespace AirflowAspire.Tests.Airflow;

/// <summary>
/// The lines the AppHost runs and what it does per line (<see cref="AirflowLines"/>) match the facts the project carries,
/// with their sources, in <c>TestData/Airflow/lines.json</c>.
/// </summary>
public sealed class AirflowLinesTests
{
    private static readonly JsonElement Facts =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "Airflow", "lines.json"))).RootElement;

    public static TheoryData<string> Lines() => [.. Facts.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("line").GetString()!)];

    [Theory]
    [MemberData(nameof(Lines))]
    public void Each_line_is_run_as_its_facts_say(string name)
    {
        var facts = Facts.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("line").GetString() == name);
        var line = Assert.Single(AirflowLines.All, l => l.Name == name);

        Assert.Equal(facts.GetProperty("min_patch").GetInt32(), line.MinPatch);
        var python = facts.GetProperty("python").EnumerateArray().Select(p => int.Parse(p.GetString()!.Split('.')[1])).ToArray();
        Assert.Equal((python[0], python[1]), (line.MinPython, line.MaxPython));
        Assert.Equal(facts.GetProperty("reads_standard_otlp_environment").GetBoolean(), line.ReadsStandardOtlpEnvironment);
        Assert.Equal(facts.GetProperty("dag_processor_hangs_with_opentelemetry").GetBoolean(), line.DagProcessorHangsWithOpenTelemetry);
        Assert.Equal(facts.GetProperty("dag_processor_tags_metrics_with_file_objects").GetBoolean(), line.DagProcessorTagsMetricsWithFileObjects);
        Assert.NotEmpty(facts.GetProperty("sources").EnumerateArray());
    }

    [Fact]
    public void Every_line_the_AppHost_runs_has_its_facts_and_the_newest_is_the_default()
    {
        Assert.Equal(Lines().Select(l => (string)l.Data), AirflowLines.All.Select(l => l.Name));
        var newest = Facts.GetProperty("lines").EnumerateArray().Last().GetProperty("newest_release").GetString();
        Assert.Equal(newest, Fixtures.AppHostModel.DefaultAirflowVersion);
    }

    [Fact]
    public void The_Celery_provider_kept_out_is_the_range_of_apache_airflow_59707()
    {
        var broken = Facts.GetProperty("celery_provider_broken_range");
        Assert.Equal(AirflowLines.BrokenCeleryProvider, broken.GetProperty("range").GetString());
        Assert.Equal(AirflowLines.CeleryProviderCompanion, broken.GetProperty("companion").GetString());
    }
}
