using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AirflowAspire.Tests.Contract;

/// <summary>One way a JSON value breaks a schema: where it is (a JSON path such as <c>$.tags[0].name</c>) and why.</summary>
/// <param name="ExpectedType">
/// Set when the value has the wrong JSON type, so <c>anyOf</c> can merge its branches' "expected string" and
/// "expected null" into one "expected string or null" instead of listing every branch.
/// </param>
public sealed record SchemaError(string Path, string Message, string? ExpectedType = null)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Validates JSON against the part of JSON Schema 2020-12 that Airflow's generated OpenAPI 3.1 documents use.
/// A keyword, format or <c>$ref</c> it does not implement makes it throw <see cref="NotSupportedException"/>:
/// skipping what it does not understand would pass bodies that Airflow rejects.
/// </summary>
public sealed class JsonSchemaValidator
{
    // Keywords that only describe a value; they never make one invalid.
    private static readonly HashSet<string> Annotations =
        ["title", "description", "default", "example", "examples", "deprecated", "readOnly", "writeOnly"];

    // Keywords Validate enforces.
    private static readonly HashSet<string> Assertions =
    [
        "$ref", "type", "enum", "const", "format",
        "properties", "required", "additionalProperties",
        "items", "prefixItems", "minItems", "maxItems",
        "anyOf", "oneOf", "allOf",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern",
    ];

    private static readonly HashSet<string> Types = ["null", "boolean", "object", "array", "number", "integer", "string"];

    // [0-9], not \d: .NET's \d also matches other scripts' digits.
    private static readonly Regex DateTimeSyntax = new(
        "^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.[0-9]+)?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))$",
        RegexOptions.CultureInvariant);

    // ISO 8601 durations as Pydantic writes timedeltas (fractional seconds, a leading minus).
    private static readonly Regex DurationSyntax = new(
        "^-?P(?!$)(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\\.[0-9]+)?S)?)?$",
        RegexOptions.CultureInvariant);

    private static readonly Regex UuidSyntax = new(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant);

    private static readonly Dictionary<string, (Func<string, bool> IsValid, string Meaning)> Formats = new()
    {
        // RFC 3339 requires the offset; Airflow rejects naive datetimes too.
        ["date-time"] = (IsDateTime, "an RFC 3339 date-time with a time zone offset (Z or ±hh:mm)"),
        ["duration"] = (DurationSyntax.IsMatch, "an ISO 8601 duration such as P1DT2H"),
        ["uuid"] = (UuidSyntax.IsMatch, "a UUID (8-4-4-4-12 hex digits)"),
    };

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new();

    private readonly JsonElement _document;

    /// <summary>Creates a validator whose <c>$ref</c>s ("#/components/schemas/…") resolve in <paramref name="document"/>.</summary>
    public JsonSchemaValidator(JsonElement document) => _document = document;

    /// <summary>
    /// Throws <see cref="NotSupportedException"/> when <paramref name="schema"/> or any schema nested in it uses a keyword,
    /// format or reference this validator does not implement, so a newer Airflow document fails on load, not by passing
    /// what it should reject. <paramref name="location"/> names the schema in the message.
    /// </summary>
    public static void EnsureSupported(JsonElement schema, string location)
    {
        CheckKeywords(schema, location);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            switch (keyword.Name)
            {
                case "properties":
                    foreach (var property in keyword.Value.EnumerateObject())
                    {
                        EnsureSupported(property.Value, $"{location}/properties/{property.Name}");
                    }

                    break;
                case "additionalProperties" or "items":
                    EnsureSupported(keyword.Value, $"{location}/{keyword.Name}");
                    break;
                case "prefixItems" or "anyOf" or "oneOf" or "allOf":
                    var index = 0;
                    foreach (var branch in keyword.Value.EnumerateArray())
                    {
                        EnsureSupported(branch, $"{location}/{keyword.Name}/{index++}");
                    }

                    break;
            }
        }
    }

    /// <summary>Every way <paramref name="instance"/> breaks <paramref name="schema"/>; empty when it is valid.</summary>
    /// <param name="path">How the errors name the instance itself, "$" for a whole body.</param>
    public IReadOnlyList<SchemaError> Validate(JsonElement schema, JsonElement instance, string path = "$")
    {
        var errors = new List<SchemaError>();
        Validate(schema, instance, path, errors);
        return errors;
    }

    /// <summary>
    /// The schema and every schema it may stand for through <c>$ref</c>, <c>anyOf</c>, <c>oneOf</c> and <c>allOf</c>:
    /// what an OpenAPI parameter needs to know which JSON types a query-string value can be read as.
    /// </summary>
    public IEnumerable<JsonElement> Alternatives(JsonElement schema)
    {
        yield return schema;
        if (schema.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            foreach (var alternative in Alternatives(Resolve(reference.GetString()!)))
            {
                yield return alternative;
            }
        }

        foreach (var keyword in (string[])["anyOf", "oneOf", "allOf"])
        {
            if (!schema.TryGetProperty(keyword, out var branches))
            {
                continue;
            }

            foreach (var alternative in branches.EnumerateArray().SelectMany(Alternatives))
            {
                yield return alternative;
            }
        }
    }

    private void Validate(JsonElement schema, JsonElement instance, string path, List<SchemaError> errors)
    {
        CheckKeywords(schema, $"the schema for {path}");
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add(new(path, "no value is allowed here"));
            return;
        }

        // A value of the wrong type gets one clear line, not one per keyword.
        if (schema.TryGetProperty("type", out var type) && !TypeNames(type).Any(name => HasType(instance, name)))
        {
            var expected = string.Join(" or ", TypeNames(type));
            errors.Add(new(path, $"expected {expected} but got {Describe(instance)}", expected));
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(Resolve(reference.GetString()!), instance, path, errors);
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(value => JsonElement.DeepEquals(value, instance)))
        {
            errors.Add(new(path, $"{Describe(instance)} is not one of {allowed.GetRawText()}"));
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, instance))
        {
            errors.Add(new(path, $"{Describe(instance)} is not {constant.GetRawText()}"));
        }

        if (schema.TryGetProperty("allOf", out var all))
        {
            foreach (var branch in all.EnumerateArray())
            {
                Validate(branch, instance, path, errors);
            }
        }

        if (schema.TryGetProperty("anyOf", out var any))
        {
            ValidateBranches("anyOf", any, instance, path, errors);
        }

        if (schema.TryGetProperty("oneOf", out var one))
        {
            ValidateBranches("oneOf", one, instance, path, errors);
        }

        switch (instance.ValueKind)
        {
            case JsonValueKind.String:
                ValidateString(schema, instance.GetString()!, path, errors);
                break;
            case JsonValueKind.Number:
                ValidateNumber(schema, instance.GetDouble(), path, errors);
                break;
            case JsonValueKind.Object:
                ValidateObject(schema, instance, path, errors);
                break;
            case JsonValueKind.Array:
                ValidateArray(schema, instance, path, errors);
                break;
        }
    }

    private void ValidateBranches(string keyword, JsonElement branches, JsonElement instance, string path, List<SchemaError> errors)
    {
        var results = branches.EnumerateArray().Select(branch => Validate(branch, instance, path)).ToList();
        var matches = results.Count(result => result.Count == 0);
        if (matches == 1 || (matches > 1 && keyword == "anyOf"))
        {
            return;
        }

        if (matches > 1)
        {
            errors.Add(new(path, $"matches {matches} {keyword} branches, but must match exactly one"));
            return;
        }

        // Branches the value is not even the right type for only add noise when another branch came close.
        var close = results.Where(result => result is not [{ ExpectedType: not null } only] || only.Path != path).ToList();
        if (close.Count == 0)
        {
            var expected = string.Join(" or ", results.Select(result => result[0].ExpectedType).Distinct());
            errors.Add(new(path, $"expected {expected} but got {Describe(instance)}", expected));
        }
        else if (close.Count == 1)
        {
            errors.AddRange(close[0]);
        }
        else
        {
            var reasons = close.Select(result => string.Join("; ", result));
            errors.Add(new(path, $"matches none of the {keyword} branches: {string.Join(" | ", reasons)}"));
        }
    }

    private static void ValidateString(JsonElement schema, string value, string path, List<SchemaError> errors)
    {
        var length = value.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out var minLength) && length < minLength.GetInt32())
        {
            errors.Add(new(path, $"has {length} characters, fewer than minLength {minLength.GetInt32()}"));
        }

        if (schema.TryGetProperty("maxLength", out var maxLength) && length > maxLength.GetInt32())
        {
            errors.Add(new(path, $"has {length} characters, more than maxLength {maxLength.GetInt32()}"));
        }

        if (schema.TryGetProperty("pattern", out var pattern)
            && !Patterns.GetOrAdd(pattern.GetString()!, text => new Regex(text, RegexOptions.CultureInvariant)).IsMatch(value))
        {
            errors.Add(new(path, $"\"{value}\" does not match the pattern {pattern.GetString()}"));
        }

        if (schema.TryGetProperty("format", out var format) && Formats[format.GetString()!] is var (isValid, meaning) && !isValid(value))
        {
            errors.Add(new(path, $"\"{value}\" is not {meaning}"));
        }
    }

    private static void ValidateNumber(JsonElement schema, double value, string path, List<SchemaError> errors)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (schema.TryGetProperty("minimum", out var minimum) && value < minimum.GetDouble())
        {
            errors.Add(new(path, $"{text} is less than the minimum {minimum.GetRawText()}"));
        }

        if (schema.TryGetProperty("maximum", out var maximum) && value > maximum.GetDouble())
        {
            errors.Add(new(path, $"{text} is greater than the maximum {maximum.GetRawText()}"));
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var above) && value <= above.GetDouble())
        {
            errors.Add(new(path, $"{text} is not greater than the exclusiveMinimum {above.GetRawText()}"));
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var below) && value >= below.GetDouble())
        {
            errors.Add(new(path, $"{text} is not less than the exclusiveMaximum {below.GetRawText()}"));
        }
    }

    private void ValidateObject(JsonElement schema, JsonElement instance, string path, List<SchemaError> errors)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(name => name.GetString()!))
            {
                if (!instance.TryGetProperty(name, out _))
                {
                    errors.Add(new(Child(path, name), "required property is missing"));
                }
            }
        }

        var hasProperties = schema.TryGetProperty("properties", out var properties);
        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var property in instance.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Validate(propertySchema, property.Value, childPath, errors);
            }
            else if (hasAdditional && additional.ValueKind == JsonValueKind.False)
            {
                errors.Add(new(childPath, "property is not allowed (the schema has additionalProperties: false)"));
            }
            else if (hasAdditional)
            {
                Validate(additional, property.Value, childPath, errors);
            }
        }
    }

    private void ValidateArray(JsonElement schema, JsonElement instance, string path, List<SchemaError> errors)
    {
        var count = instance.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var minItems) && count < minItems.GetInt32())
        {
            errors.Add(new(path, $"has {count} items, fewer than minItems {minItems.GetInt32()}"));
        }

        if (schema.TryGetProperty("maxItems", out var maxItems) && count > maxItems.GetInt32())
        {
            errors.Add(new(path, $"has {count} items, more than maxItems {maxItems.GetInt32()}"));
        }

        var prefix = schema.TryGetProperty("prefixItems", out var prefixItems) ? prefixItems.EnumerateArray().ToList() : [];
        var hasItems = schema.TryGetProperty("items", out var items);
        var index = 0;
        foreach (var item in instance.EnumerateArray())
        {
            // items applies only after the positions prefixItems describes.
            if (index < prefix.Count)
            {
                Validate(prefix[index], item, $"{path}[{index}]", errors);
            }
            else if (hasItems)
            {
                Validate(items, item, $"{path}[{index}]", errors);
            }

            index++;
        }
    }

    private JsonElement Resolve(string reference)
    {
        var target = _document;
        foreach (var token in reference[2..].Split('/'))
        {
            if (target.ValueKind != JsonValueKind.Object
                || !target.TryGetProperty(token.Replace("~1", "/").Replace("~0", "~"), out target))
            {
                throw new InvalidOperationException($"$ref {reference} does not point into the document");
            }
        }

        return target;
    }

    private static void CheckKeywords(JsonElement schema, string location)
    {
        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new NotSupportedException($"{location} is not a schema but a JSON {schema.ValueKind}");
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            var unsupported = keyword.Name switch
            {
                _ when Annotations.Contains(keyword.Name) => null,
                _ when !Assertions.Contains(keyword.Name) => $"keyword '{keyword.Name}'",
                "format" when !Formats.ContainsKey(keyword.Value.GetString()!) => $"format '{keyword.Value.GetString()}'",
                "$ref" when !keyword.Value.GetString()!.StartsWith("#/", StringComparison.Ordinal) => $"$ref '{keyword.Value.GetString()}'",
                "type" when TypeNames(keyword.Value).Any(name => !Types.Contains(name)) => $"type {keyword.Value.GetRawText()}",
                _ => null,
            };
            if (unsupported is not null)
            {
                throw new NotSupportedException($"JSON Schema {unsupported} in {location} is not implemented by {nameof(JsonSchemaValidator)}");
            }
        }
    }

    private static IEnumerable<string> TypeNames(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(name => name.GetString()!) : [type.GetString()!];

    private static bool HasType(JsonElement instance, string type) => (type, instance.ValueKind) switch
    {
        ("null", JsonValueKind.Null) => true,
        ("boolean", JsonValueKind.True or JsonValueKind.False) => true,
        ("object", JsonValueKind.Object) => true,
        ("array", JsonValueKind.Array) => true,
        ("string", JsonValueKind.String) => true,
        ("number", JsonValueKind.Number) => true,
        ("integer", JsonValueKind.Number) => IsInteger(instance),
        _ => false,
    };

    // JSON Schema counts 1.0 as an integer.
    private static bool IsInteger(JsonElement number) => number.TryGetInt64(out _) || double.IsInteger(number.GetDouble());

    private static string Describe(JsonElement instance)
    {
        var text = instance.GetRawText();
        text = text.Length > 60 ? text[..57] + "..." : text;
        return instance.ValueKind switch
        {
            JsonValueKind.Null => "null",
            JsonValueKind.True or JsonValueKind.False => $"boolean {text}",
            JsonValueKind.String => $"string {text}",
            JsonValueKind.Number => IsInteger(instance) ? $"integer {text}" : $"number {text}",
            JsonValueKind.Object => "an object",
            _ => "an array",
        };
    }

    private static string Child(string path, string name) =>
        Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$") ? $"{path}.{name}" : $"{path}['{name}']";

    private static bool IsDateTime(string value)
    {
        var match = DateTimeSyntax.Match(value);
        if (!match.Success)
        {
            return false;
        }

        int Part(int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        var (year, month, day) = (Part(1), Part(2), Part(3));
        return year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && Part(4) <= 23 && Part(5) <= 59 && Part(6) <= 60
            && (!match.Groups[7].Success || (Part(7) <= 23 && Part(8) <= 59));
    }
}
