using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AirflowAspire.Tests.Contract;

/// <summary>
/// Airflow's REST API contract, read from the OpenAPI 3.1 documents Airflow generates for one version
/// (the parts this project uses, extracted into TestData/Airflow/&lt;version&gt;; see its README.md), so tests can prove that the requests our client sends and the responses our
/// fakes and test doubles return are ones real Airflow would accept and send. Each check returns one readable line per
/// problem, naming the operationId and where in the request or body the problem is; an empty list means valid.
/// </summary>
public sealed class AirflowOpenApi
{
    private static readonly string[] DocumentFiles = ["rest-api.yaml", "simple-auth-manager.yaml"];

    private static readonly HashSet<string> Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    // Parameter fields read or safely ignored; style, explode, content and $ref would change how values are sent.
    private static readonly HashSet<string> ParameterFields = ["name", "in", "required", "schema", "description", "deprecated", "example", "examples"];

    private static readonly ConcurrentDictionary<string, Lazy<AirflowOpenApi>> Loaded = new();

    private readonly List<Operation> _operations = [];
    private readonly List<(JsonSchemaValidator Validator, JsonElement Schemas)> _components = [];

    private AirflowOpenApi(string version, string folder)
    {
        Version = version;
        foreach (var file in DocumentFiles)
        {
            var document = ReadYaml(Path.Combine(folder, file));
            var validator = new JsonSchemaValidator(document);
            var schemas = document.GetProperty("components").GetProperty("schemas");
            foreach (var schema in schemas.EnumerateObject())
            {
                JsonSchemaValidator.EnsureSupported(schema.Value, $"{file}#/components/schemas/{schema.Name}");
            }

            _components.Add((validator, schemas));
            foreach (var pathItem in document.GetProperty("paths").EnumerateObject())
            {
                foreach (var operation in pathItem.Value.EnumerateObject())
                {
                    if (!Methods.Contains(operation.Name))
                    {
                        throw new NotSupportedException($"{file}: path item field '{operation.Name}' of {pathItem.Name} is not supported");
                    }

                    _operations.Add(new Operation(operation.Name.ToUpperInvariant(), pathItem.Name, operation.Value, validator, file));
                }
            }
        }
    }

    /// <summary>The Airflow version folder the documents came from, e.g. "3.0" or "main-2026-02".</summary>
    public string Version { get; }

    /// <summary>
    /// The contract of one Airflow version: both documents of TestData/Airflow/<paramref name="version"/>, copied beside
    /// the tests. Parsed once per test run; instances are immutable and thread-safe.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The tests carry no documents of that version.</exception>
    public static AirflowOpenApi Load(string version) =>
        Loaded.GetOrAdd(version, _ => new Lazy<AirflowOpenApi>(() => new AirflowOpenApi(version, FindFolder(version)))).Value;

    /// <summary>
    /// Problems with a request our client would send: an operation must exist for <paramref name="method"/> and the path
    /// (templates match percent-decoded segments), path and query parameters must be documented, present when required and
    /// valid for their schemas, and <paramref name="jsonBody"/> must be given exactly when the operation takes a body and
    /// validate against its application/json schema.
    /// </summary>
    /// <param name="pathAndQuery">As sent, e.g. "/api/v2/dags/x/dagRuns?limit=5&amp;state=running".</param>
    /// <remarks>Header parameters (Accept, Content-Type) are not checked; none is required.</remarks>
    public IReadOnlyList<string> CheckRequest(string method, string pathAndQuery, string? jsonBody)
    {
        var (path, query) = SplitQuery(pathAndQuery);
        var (match, mismatch) = Find(method, path);
        if (match is null)
        {
            return [mismatch!];
        }

        var (operation, pathValues) = match;
        var problems = new List<string>();
        foreach (var parameter in operation.Parameters.Where(parameter => parameter.In == "path"))
        {
            problems.AddRange(ParameterProblems(operation, parameter, [pathValues[parameter.Name]]));
        }

        var queryValues = ParseQuery(query);
        foreach (var (name, values) in queryValues)
        {
            var parameter = operation.Parameters.FirstOrDefault(parameter => parameter.In == "query" && parameter.Name == name);
            problems.AddRange(parameter is null
                ? [$"{operation.Id}: unknown query parameter '{name}'"]
                : ParameterProblems(operation, parameter, values));
        }

        problems.AddRange(operation.Parameters
            .Where(parameter => parameter.In == "query" && parameter.Required && !queryValues.ContainsKey(parameter.Name))
            .Select(parameter => $"{operation.Id}: required query parameter '{parameter.Name}' is missing"));

        if (jsonBody is null)
        {
            if (operation.BodyRequired)
            {
                problems.Add($"{operation.Id}: a request body is required but none was given");
            }
        }
        else if (operation.BodySchema is { } bodySchema)
        {
            problems.AddRange(JsonProblems(operation.Validator, bodySchema, jsonBody, $"{operation.Id}: request body"));
        }
        else
        {
            problems.Add($"{operation.Id}: takes no application/json request body, but one was given");
        }

        return problems;
    }

    /// <summary>
    /// Problems with a response a fake or test double returns: <paramref name="status"/> must be documented for the
    /// operation (explicitly or as "default"), and when that status documents an application/json schema,
    /// <paramref name="jsonBody"/> must be given and validate against it; when it documents none, no body may be given.
    /// </summary>
    public IReadOnlyList<string> CheckResponse(string method, string pathAndQuery, int status, string? jsonBody)
    {
        var (match, mismatch) = Find(method, SplitQuery(pathAndQuery).Path);
        if (match is null)
        {
            return [mismatch!];
        }

        var operation = match.Operation;
        var code = status.ToString(CultureInfo.InvariantCulture);
        if (!operation.Responses.TryGetProperty(code, out var response) && !operation.Responses.TryGetProperty("default", out response))
        {
            var documented = string.Join(", ", operation.Responses.EnumerateObject().Select(documentedStatus => documentedStatus.Name));
            return [$"{operation.Id}: status {code} is not documented (documented: {documented})"];
        }

        var where = $"{operation.Id}: response {code} body";
        return (JsonSchemaOf(response), jsonBody) switch
        {
            (null, null) => [],
            (null, _) => [$"{where}: the status documents no application/json body, but one was given"],
            // An empty schema ({}) documents no shape, so there is nothing a body must have.
            ({ } schema, null) when schema.EnumerateObject().Any() => [$"{where}: the status documents an application/json body, but none was given"],
            ({ }, null) => [],
            ({ } schema, { } body) => JsonProblems(operation.Validator, schema, body, where),
        };
    }

    /// <summary>
    /// Problems with <paramref name="json"/> as an instance of components/schemas/<paramref name="schemaName"/>, for tests
    /// of a single shape; the REST API document is searched before the simple auth manager's.
    /// </summary>
    /// <exception cref="ArgumentException">Neither document has the schema (a test's mistake, not a contract problem).</exception>
    public IReadOnlyList<string> CheckSchema(string schemaName, string json)
    {
        foreach (var (validator, schemas) in _components)
        {
            if (schemas.TryGetProperty(schemaName, out var schema))
            {
                return JsonProblems(validator, schema, json, schemaName);
            }
        }

        throw new ArgumentException($"Airflow {Version} documents have no schema '{schemaName}'", nameof(schemaName));
    }

    /// <summary>The operationId of the operation a request goes to, or null when none matches.</summary>
    public string? OperationId(string method, string pathAndQuery) => Find(method, SplitQuery(pathAndQuery).Path).Match?.Operation.Id;

    private static string FindFolder(string version)
    {
        var folder = Fixtures.AirflowReference.Directory(version);
        return Directory.Exists(folder)
            ? folder
            : throw new DirectoryNotFoundException($"Airflow {version} OpenAPI documents not found: the tests carry no {folder}");
    }

    private (RouteMatch? Match, string? Problem) Find(string method, string path)
    {
        var segments = path.Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (segments.FirstOrDefault(segment => segment.Contains('/')) is { } slashed)
        {
            // Airflow's router (Starlette) decodes the whole path before matching, so %2F splits a segment.
            return (null, $"Airflow {Version}: path segment '{slashed}' of {path} has an encoded '/', which Airflow's router treats as a separator");
        }

        // Like the OpenAPI rule (concrete paths first), a literal segment beats a template, leftmost first.
        var candidates = _operations
            .Where(operation => operation.Matches(segments))
            .OrderBy(operation => operation.Shape, StringComparer.Ordinal)
            .ToList();
        var upper = method.ToUpperInvariant();
        if (candidates.FirstOrDefault(operation => operation.Method == upper) is { } found)
        {
            var values = found.Segments
                .Select((segment, index) => (segment, index))
                .Where(pair => pair.segment.StartsWith('{'))
                .ToDictionary(pair => pair.segment[1..^1], pair => segments[pair.index]);
            return (new RouteMatch(found, values), null);
        }

        return (null, candidates.Count == 0
            ? $"Airflow {Version}: no operation has a path matching {upper} {path}"
            : $"Airflow {Version}: {path} matches {candidates[0].Template}, which has no {upper} operation (only {string.Join(", ", candidates.Select(operation => operation.Method).Distinct())})");
    }

    private static IEnumerable<string> ParameterProblems(Operation operation, Parameter parameter, IReadOnlyList<string> values)
    {
        var where = $"{parameter.In} parameter '{parameter.Name}'";
        var alternatives = operation.Validator.Alternatives(parameter.Schema).ToList();
        string json;
        if (alternatives.FirstOrDefault(schema => schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("items", out _)) is { ValueKind: JsonValueKind.Object } array)
        {
            // Arrays travel as the parameter repeated (OpenAPI's default form style, exploded).
            var itemAlternatives = operation.Validator.Alternatives(array.GetProperty("items")).ToList();
            json = $"[{string.Join(",", values.Select(value => ValueAsJson(value, itemAlternatives)))}]";
        }
        else if (values.Count > 1)
        {
            return [$"{operation.Id}: {where} is given {values.Count} times but takes one value"];
        }
        else
        {
            json = ValueAsJson(values[0], alternatives);
        }

        using var instance = JsonDocument.Parse(json);
        return operation.Validator.Validate(parameter.Schema, instance.RootElement, where)
            .Select(error => $"{operation.Id}: {error}");
    }

    // A query or path value is text; read it as the JSON value Airflow (FastAPI) would, preferring the schema's types.
    private static string ValueAsJson(string value, IReadOnlyList<JsonElement> alternatives)
    {
        var types = alternatives
            .Where(schema => schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out _))
            .SelectMany(schema => schema.GetProperty("type") is { ValueKind: JsonValueKind.Array } list
                ? list.EnumerateArray().Select(type => type.GetString()!)
                : [schema.GetProperty("type").GetString()!])
            .ToHashSet();
        if ((types.Contains("integer") || types.Contains("number"))
            && Regex.IsMatch(value, "^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"))
        {
            return value;
        }

        return types.Contains("boolean") && value is "true" or "false" ? value : JsonSerializer.Serialize(value);
    }

    private static IReadOnlyList<string> JsonProblems(JsonSchemaValidator validator, JsonElement schema, string json, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            return [$"{where} is not JSON: {exception.Message}"];
        }

        using (document)
        {
            return validator.Validate(schema, document.RootElement).Select(error => $"{where} {error}").ToList();
        }
    }

    private static JsonElement? JsonSchemaOf(JsonElement bodyOrResponse) =>
        bodyOrResponse.TryGetProperty("content", out var content)
        && content.TryGetProperty("application/json", out var media)
        && media.TryGetProperty("schema", out var schema)
            ? schema
            : null;

    private static (string Path, string Query) SplitQuery(string pathAndQuery)
    {
        var withoutFragment = pathAndQuery.Split('#')[0];
        var question = withoutFragment.IndexOf('?');
        return question < 0 ? (withoutFragment, "") : (withoutFragment[..question], withoutFragment[(question + 1)..]);
    }

    // Decoded as Airflow (Starlette) decodes a query string: '+' is a space, so an unencoded "+00:00" offset is broken.
    private static Dictionary<string, List<string>> ParseQuery(string query)
    {
        var parameters = new Dictionary<string, List<string>>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var (name, value) = equals < 0 ? (pair, "") : (pair[..equals], pair[(equals + 1)..]);
            var decodedName = Uri.UnescapeDataString(name.Replace('+', ' '));
            if (!parameters.TryGetValue(decodedName, out var values))
            {
                parameters[decodedName] = values = [];
            }

            values.Add(Uri.UnescapeDataString(value.Replace('+', ' ')));
        }

        return parameters;
    }

    // YAML to JSON by the YAML 1.2 core schema: plain null/true/false/numbers keep their types, quoted scalars stay strings.
    private static JsonElement ReadYaml(string file)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(file))
        {
            stream.Load(reader);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer, stream.Documents.Single().RootNode, file);
        }

        return JsonSerializer.Deserialize<JsonElement>(buffer.WrittenSpan);
    }

    private static void WriteJson(Utf8JsonWriter writer, YamlNode node, string file)
    {
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific)
        {
            throw new NotSupportedException($"{file} {node.Start}: YAML tag {node.Tag} is not supported");
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)key).Value!);
                    WriteJson(writer, value, file);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    WriteJson(writer, item, file);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode { Style: not ScalarStyle.Plain } quoted:
                writer.WriteStringValue(quoted.Value);
                break;
            case YamlScalarNode plain:
                WritePlainScalar(writer, plain.Value ?? "");
                break;
            default:
                throw new NotSupportedException($"{file} {node.Start}: YAML node {node.NodeType} is not supported");
        }
    }

    private static void WritePlainScalar(Utf8JsonWriter writer, string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            writer.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(text[0] is 't' or 'T');
        }
        else if (Regex.IsMatch(text, "^[-+]?[0-9]+$"))
        {
            writer.WriteNumberValue(long.Parse(text, CultureInfo.InvariantCulture));
        }
        else if (Regex.IsMatch(text, "^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"))
        {
            writer.WriteNumberValue(double.Parse(text, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    private sealed record RouteMatch(Operation Operation, Dictionary<string, string> PathValues);

    private sealed record Parameter(string Name, string In, bool Required, JsonElement Schema);

    private sealed class Operation
    {
        public Operation(string method, string template, JsonElement operation, JsonSchemaValidator validator, string file)
        {
            Method = method;
            Template = template;
            Validator = validator;
            Id = operation.GetProperty("operationId").GetString()!;
            Segments = template.Split('/');
            Shape = string.Concat(Segments.Select(segment => segment.StartsWith('{') ? '1' : '0'));
            var where = $"{file} {method} {template}";
            Parameters = operation.TryGetProperty("parameters", out var parameters)
                ? parameters.EnumerateArray().Select(parameter => ReadParameter(parameter, where)).ToList()
                : [];
            if (operation.TryGetProperty("requestBody", out var body))
            {
                BodyRequired = body.TryGetProperty("required", out var required) && required.GetBoolean();
                BodySchema = JsonSchemaOf(body);
                if (BodySchema is { } bodySchema)
                {
                    JsonSchemaValidator.EnsureSupported(bodySchema, $"{where} request body");
                }
            }

            Responses = operation.GetProperty("responses");
            foreach (var response in Responses.EnumerateObject())
            {
                if (JsonSchemaOf(response.Value) is { } responseSchema)
                {
                    JsonSchemaValidator.EnsureSupported(responseSchema, $"{where} response {response.Name}");
                }
            }
        }

        public string Method { get; }

        public string Template { get; }

        public string Id { get; }

        public JsonSchemaValidator Validator { get; }

        public string[] Segments { get; }

        /// <summary>'0' per literal segment, '1' per template; ordinal order puts the most concrete path first.</summary>
        public string Shape { get; }

        public IReadOnlyList<Parameter> Parameters { get; }

        public bool BodyRequired { get; }

        public JsonElement? BodySchema { get; }

        public JsonElement Responses { get; }

        public bool Matches(string[] segments) =>
            segments.Length == Segments.Length
            && Segments.Zip(segments).All(pair => pair.First.StartsWith('{') ? pair.Second.Length > 0 : pair.First == pair.Second);

        private static Parameter ReadParameter(JsonElement parameter, string where)
        {
            if (parameter.EnumerateObject().Select(field => field.Name).FirstOrDefault(field => !ParameterFields.Contains(field)) is { } field)
            {
                throw new NotSupportedException($"{where}: parameter field '{field}' is not supported");
            }

            var schema = parameter.GetProperty("schema");
            var name = parameter.GetProperty("name").GetString()!;
            JsonSchemaValidator.EnsureSupported(schema, $"{where} parameter {name}");
            return new Parameter(
                name,
                parameter.GetProperty("in").GetString()!,
                parameter.TryGetProperty("required", out var required) && required.GetBoolean(),
                schema);
        }
    }
}
