using System.Text.Json;
using System.Text.RegularExpressions;
using AirflowAspire.Verifier.Airflow;

namespace AirflowAspire.Verifier.Verification;

/// <summary>
/// Reads what Airflow says went wrong: a failed task's likely cause and the end of its log, from the structured messages
/// of its log; an import error's line and text, from the stack trace the dag-processor stored.
/// </summary>
public static partial class TaskLogReading
{
    /// <summary>The record Airflow's task runner logs, with the exception, when a task raises (task-sdk/src/airflow/sdk/execution_time/task_runner.py, <c>run</c>).</summary>
    public const string TaskFailedEvent = "Task failed with exception";

    /// <summary>How many lines of a failed task's log the report keeps.</summary>
    public const int TailLines = 20;

    /// <summary>
    /// The likely cause of a failed task from its log: the exception of the last "Task failed with exception" record
    /// (its <c>error_detail</c>: type, message, and the file and line of the frame that raised it); else of any record
    /// carrying one; else its last error lines; else its last lines; null when the log is empty.
    /// </summary>
    public static string? CauseFrom(IReadOnlyList<TaskLogRecord> log)
    {
        var withError = log.LastOrDefault(r => r.Event == TaskFailedEvent && r.ErrorDetail is not null)
            ?? log.LastOrDefault(r => r.ErrorDetail is not null);
        if (withError?.ErrorDetail is { } detail && Exception(detail) is { } exception)
        {
            return exception;
        }
        var errors = log.Where(r => r.Level is "error" or "critical" or "fatal" && !string.IsNullOrWhiteSpace(r.Event)).Select(r => r.Event.Trim()).ToList();
        if (errors.Count > 0)
        {
            return $"the task's last error lines: {string.Join(" | ", errors.TakeLast(3))}";
        }
        var lines = Render(log).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        return lines.Count > 0 ? $"no exception in the log; it ends: {string.Join(" | ", lines.TakeLast(3))}" : null;
    }

    /// <summary>The last <paramref name="count"/> lines of the log as a person reads it: each message, and under an exception its frames and type.</summary>
    public static IReadOnlyList<string> Tail(IReadOnlyList<TaskLogRecord> log, int count = TailLines)
        => Render(log).Where(l => !l.StartsWith("::group::", StringComparison.Ordinal) && l != "::endgroup::").TakeLast(count).ToList();

    /// <summary>
    /// <c>exc_type: exc_value (file:line in name)</c> of the raised exception: the first of structlog's dict traceback
    /// (the others are its causes), and its last frame, where it was raised.
    /// </summary>
    private static string? Exception(JsonElement detail)
    {
        var first = detail.ValueKind == JsonValueKind.Array ? detail.EnumerateArray().FirstOrDefault() : detail;
        if (first.ValueKind != JsonValueKind.Object || Text(first, "exc_type") is not { Length: > 0 } type)
        {
            return null;
        }
        var message = $"{type}: {Text(first, "exc_value")}";
        if (first.TryGetProperty("frames", out var frames) && frames.ValueKind == JsonValueKind.Array && frames.GetArrayLength() > 0)
        {
            var frame = frames[frames.GetArrayLength() - 1];
            message += $" (at {Text(frame, "filename")}:{Text(frame, "lineno")} in {Text(frame, "name")})";
        }
        return message;
    }

    private static IEnumerable<string> Render(IReadOnlyList<TaskLogRecord> log)
    {
        foreach (var record in log)
        {
            foreach (var line in record.Event.Split('\n'))
            {
                yield return record.Level is { } level ? $"[{level}] {line.TrimEnd()}" : line.TrimEnd();
            }
            if (record.ErrorDetail is { ValueKind: JsonValueKind.Array } detail)
            {
                // As Python prints a traceback: the causes first, the raised exception last.
                foreach (var exception in detail.EnumerateArray().Reverse())
                {
                    if (exception.TryGetProperty("frames", out var frames) && frames.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var frame in frames.EnumerateArray())
                        {
                            yield return $"  File \"{Text(frame, "filename")}\", line {Text(frame, "lineno")}, in {Text(frame, "name")}";
                        }
                    }
                    yield return $"{Text(exception, "exc_type")}: {Text(exception, "exc_value")}";
                }
            }
        }
    }

    private static string Text(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.ToString()
            : "";

    /// <summary>
    /// An import error as the report gives it: Airflow's own error text, the last line of the stack trace the
    /// dag-processor stored (<c>traceback.format_exc</c>, or <c>str(e)</c> without tracebacks: airflow-core/src/airflow/models/dagbag.py,
    /// <c>_load_modules_from_file</c>); and the line of the last traceback frame whose path ends with the file's name.
    /// </summary>
    public static ImportErrorReport ImportError(ImportError error)
    {
        var filename = error.Filename ?? "";
        var lines = (error.StackTrace ?? "").Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Trim().Length > 0).ToList();
        int? line = null;
        foreach (Match frame in FramePattern().Matches(error.StackTrace ?? ""))
        {
            var path = frame.Groups["path"].Value.Replace('\\', '/');
            if (filename.Length > 0 && (path == filename || path.EndsWith("/" + filename.TrimStart('/'), StringComparison.Ordinal)))
            {
                line = int.Parse(frame.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return new ImportErrorReport(filename, line, lines.Count > 0 ? lines[^1].Trim() : "(Airflow recorded no error text)");
    }

    // Python's traceback frame line: '  File "/opt/airflow/dags/x.py", line 10, in <module>' (a SyntaxError's has no ", in").
    [GeneratedRegex("""File "(?<path>[^"]+)", line (?<line>\d+)""")]
    private static partial Regex FramePattern();
}
