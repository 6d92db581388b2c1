using System.Diagnostics;
using AirflowAspire.AppHost.Airflow;
using AirflowAspire.Tests.Fixtures;

namespace AirflowAspire.Tests.Airflow;

/// <summary>The DAG the Verifier runs, checked without Airflow installed.</summary>
public sealed class DagFileTests
{
    private static readonly string Dag = Path.Combine(AppHostModel.AppHostDirectory, "..", "airflow", "dags", "hello_dragonfly.py");

    [Fact]
    public async Task Compiles_with_python()
    {
        if (PythonOnPath.Version() is null)
        {
            Assert.Skip("python3 is not on PATH: the DAG file cannot be compiled here.");
        }
        using var folder = new TemporaryFolder();
        var start = new ProcessStartInfo("python3", ["-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", Dag, Path.Combine(folder.Path, "dag.pyc")])
        { RedirectStandardError = true };
        using var python = Process.Start(start)!;
        var error = await python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(python.ExitCode == 0, error);
    }

    [Fact]
    public void Uses_Airflow_3_imports_and_the_guides_dag_and_task()
    {
        var source = File.ReadAllText(Dag);

        Assert.Contains("from airflow.sdk import DAG", source);
        Assert.Contains("from airflow.providers.standard.operators.python import PythonOperator", source);
        Assert.DoesNotContain("airflow.operators.python", source);
        Assert.Contains("schedule=None", source);
        Assert.Contains("task_id=\"first_task\"", source);
    }

    [Fact]
    public void Is_the_DAG_and_prints_the_line_the_AppHost_tells_the_Verifier_to_expect()
    {
        var source = File.ReadAllText(Dag);

        Assert.Contains($"dag_id=\"{VerificationDag.Id}\"", source);
        Assert.Contains($"print(\"{VerificationDag.ExpectedOutput}\")", source);
        // Before Airflow knows the DAG, the Verifier finds its file's import error by the file's name.
        Assert.Equal(VerificationDag.Id, Path.GetFileNameWithoutExtension(Dag));
    }
}
