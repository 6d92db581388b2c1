using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AirflowAspire.Verifier.Verification;

/// <summary>A setting the Verifier cannot use: the message names it and the fix. The Verifier exits 2 on it.</summary>
public sealed class VerifierSettingException(string message) : Exception(message);

/// <summary>
/// The user's DAGs the Verifier proves besides its own (<see cref="VerifierOptions.Dags"/>): DAG ids, <c>tag:NAME</c>
/// entries, and the <c>conf</c> each run is triggered with (<see cref="VerifierOptions.Conf"/>), read once at the start so
/// that a setting it cannot use stops it with exit code 2 before anything runs.
/// </summary>
public sealed partial class DagSelection
{
    /// <summary>What a <see cref="VerifierOptions.Dags"/> entry starts with to name a tag.</summary>
    public const string TagPrefix = "tag:";

    private readonly Dictionary<string, JsonObject> _conf;

    private DagSelection(IReadOnlyList<string> dagIds, IReadOnlyList<string> tags, Dictionary<string, JsonObject> conf)
        => (DagIds, Tags, _conf) = (dagIds, tags, conf);

    /// <summary>The DAG ids named, in order, without repeats.</summary>
    public IReadOnlyList<string> DagIds { get; }

    /// <summary>The tags named (<c>tag:NAME</c>), in order, without repeats.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>True when the settings choose no DAG of the user's.</summary>
    public bool IsEmpty => DagIds.Count == 0 && Tags.Count == 0;

    /// <summary>The DAGs given a conf, whether or not they are chosen.</summary>
    public IEnumerable<string> ConfiguredDagIds => _conf.Keys;

    /// <summary>
    /// The <c>conf</c> of <paramref name="dagId"/>'s run: its <c>Verifier:Conf:{dag_id}</c>, or <c>{}</c>. Configuration keys
    /// are case-insensitive (an environment variable's name may be upper-cased), DAG ids are not: an exact match first.
    /// </summary>
    public JsonObject ConfFor(string dagId)
    {
        if (!_conf.TryGetValue(dagId, out var conf))
        {
            conf = _conf.FirstOrDefault(c => string.Equals(c.Key, dagId, StringComparison.OrdinalIgnoreCase)).Value;
        }
        return (JsonObject?)conf?.DeepClone() ?? [];
    }

    /// <summary>Reads <see cref="VerifierOptions.Dags"/> and <see cref="VerifierOptions.Conf"/>.</summary>
    /// <exception cref="VerifierSettingException">An entry or a conf the Verifier cannot use; the message names the setting and the fix.</exception>
    public static DagSelection From(VerifierOptions options)
    {
        var ids = new List<string>();
        var tags = new List<string>();
        foreach (var entry in options.Dags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.StartsWith(TagPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var tag = entry[TagPrefix.Length..].Trim();
                if (tag.Length == 0)
                {
                    throw new VerifierSettingException($"Verifier:Dags has the entry '{entry}', a tag without a name: write tag:NAME, e.g. tag:sample.");
                }
                if (!tags.Contains(tag))
                {
                    tags.Add(tag);
                }
                continue;
            }
            if (!IsDagId(entry))
            {
                throw new VerifierSettingException($"Verifier:Dags has the entry '{entry}', which is not a DAG id: Airflow's DAG ids are made of "
                    + "letters, digits, dashes, dots and underscores (at most 250), e.g. Verifier:Dags=sales_report,tag:sample.");
            }
            if (!ids.Contains(entry))
            {
                ids.Add(entry);
            }
        }
        var conf = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (dagId, text) in options.Conf)
        {
            conf[dagId] = ParseConf(dagId, text);
        }
        return new DagSelection(ids, tags, conf);
    }

    /// <summary>A DAG id as Airflow validates one (airflow-core/src/airflow/utils/helpers.py, <c>validate_key</c>: <c>^[\w.-]+$</c>, at most 250).</summary>
    public static bool IsDagId(string value) => value.Length is > 0 and <= 250 && DagIdPattern().IsMatch(value);

    // Airflow's TriggerDAGRunPostBody takes conf as a JSON object (additionalProperties: true, type: object).
    private static JsonObject ParseConf(string dagId, string? text)
    {
        JsonNode? node;
        try
        {
            node = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        }
        catch (JsonException error)
        {
            throw new VerifierSettingException($"Verifier:Conf:{dagId} is not JSON ({error.Message}): give the run's conf as a JSON object, "
                + "e.g. Verifier__Conf__" + dagId + "={\"items\": 5}.");
        }
        return node as JsonObject ?? throw new VerifierSettingException($"Verifier:Conf:{dagId} is {(node is null ? "empty" : $"a JSON {node.GetValueKind().ToString().ToLowerInvariant()}")}: "
            + "Airflow takes a run's conf as a JSON object, e.g. Verifier__Conf__" + dagId + "={\"items\": 5}.");
    }

    [GeneratedRegex(@"^[\w.-]+$")]
    private static partial Regex DagIdPattern();
}
