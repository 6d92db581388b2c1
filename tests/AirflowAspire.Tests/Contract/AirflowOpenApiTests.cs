using System.Text.Json;
using System.Text.Json.Nodes;

namespace AirflowAspire.Tests.Contract;

/// <summary>
/// Proves <see cref="AirflowOpenApi"/> accepts what Airflow accepts and rejects, with a line naming the field, what it
/// rejects, for both Airflow versions the contract tests run against. The bodies follow the documents' schemas.
/// </summary>
public sealed class AirflowOpenApiTests
{
    private const string DagRuns = "/api/v2/dags/hello_dragonfly/dagRuns";
    private const string RunId = "manual__2025-07-01T10:00:00+00:00";
    private const string EncodedRun = "/api/v2/dags/hello_dragonfly/dagRuns/manual__2025-07-01T10%3A00%3A00%2B00%3A00";
    private const string Log = EncodedRun + "/taskInstances/say_hello/logs/1";

    private const string DagVersion = """
        {"id": "0197c0de-7d1e-7a7b-9c1d-2f3e4a5b6c7d", "version_number": 1, "dag_id": "hello_dragonfly",
         "bundle_name": "dags-folder", "bundle_version": null, "created_at": "2025-07-01T09:00:00Z",
         "dag_display_name": "hello_dragonfly", "bundle_url": null}
        """;

    // partition_key is required from main-2026-02 on; response schemas allow extra fields, so 3.0 accepts it too.
    private const string DagRun = $$"""
        {"dag_run_id": "{{RunId}}", "dag_id": "hello_dragonfly", "logical_date": null,
         "queued_at": "2025-07-01T10:00:00.123456Z", "start_date": "2025-07-01T10:00:01.5Z", "end_date": null,
         "duration": null, "data_interval_start": null, "data_interval_end": null, "run_after": "2025-07-01T10:00:00Z",
         "last_scheduling_decision": null, "run_type": "manual", "state": "running", "triggered_by": "rest_api",
         "triggering_user_name": "admin", "conf": {}, "note": null, "dag_versions": [{{DagVersion}}],
         "bundle_version": null, "dag_display_name": "hello_dragonfly", "partition_key": null}
        """;

    // operator_name is required from main-2026-02 on, as is a UUID id; dag_version may only be null there.
    private const string TaskInstances = $$"""
        {"task_instances": [
          {"id": "0197c0de-8a2b-7c3d-9e4f-5a6b7c8d9e0f", "task_id": "say_hello", "dag_id": "hello_dragonfly",
           "dag_run_id": "{{RunId}}", "map_index": -1, "logical_date": null, "run_after": "2025-07-01T10:00:00Z",
           "start_date": "2025-07-01T10:00:02Z", "end_date": "2025-07-01T10:00:03.25Z", "duration": 1.25,
           "state": "success", "try_number": 1, "max_tries": 0, "task_display_name": "say_hello",
           "dag_display_name": "hello_dragonfly", "hostname": "worker-1", "unixname": "airflow", "pool": "default_pool",
           "pool_slots": 1, "queue": "default", "priority_weight": 1, "operator": "PythonOperator",
           "operator_name": "@task", "queued_when": "2025-07-01T10:00:01Z", "scheduled_when": "2025-07-01T10:00:01Z",
           "pid": 4242, "executor": null, "executor_config": "{}", "note": null, "rendered_map_index": null,
           "rendered_fields": {}, "trigger": null, "triggerer_job": null, "dag_version": {{DagVersion}}}],
         "total_entries": 1}
        """;

    // last_parse_duration and tags[].dag_display_name are required by main-2026-02 only (3.0 has neither; its "deadline" came in 3.1).
    private const string Dag = """
        {"dag_id": "hello_dragonfly", "dag_display_name": "hello_dragonfly", "is_paused": false, "is_stale": false,
         "last_parsed_time": "2025-07-01T09:59:00Z", "last_parse_duration": 0.42, "last_expired": null,
         "bundle_name": "dags-folder", "bundle_version": null, "relative_fileloc": "hello_dragonfly.py",
         "fileloc": "/opt/airflow/dags/hello_dragonfly.py", "description": "Says hello through Dragonfly",
         "deadline": null, "timetable_summary": null, "timetable_description": "Never, external triggers only",
         "tags": [{"name": "example", "dag_id": "hello_dragonfly", "dag_display_name": "hello_dragonfly"}],
         "max_active_tasks": 16, "max_active_runs": 16, "max_consecutive_failed_dag_runs": 0,
         "has_task_concurrency_limits": false, "has_import_errors": false, "next_dagrun_logical_date": null,
         "next_dagrun_data_interval_start": null, "next_dagrun_data_interval_end": null, "next_dagrun_run_after": null,
         "owners": ["airflow"], "file_token": "Ii9vcHQvYWlyZmxvdy9kYWdzL2hlbGxvX2RyYWdvbmZseS5weSI"}
        """;

    private const string Health = """
        {"metadatabase": {"status": "healthy"},
         "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2025-07-01T10:00:00.000000+00:00"},
         "triggerer": {"status": null, "latest_triggerer_heartbeat": null},
         "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2025-07-01T10:00:00+00:00"}}
        """;

    private const string VersionInfo = """{"version": "3.0.3", "git_version": null}""";

    private const string TaskLog = """
        {"content": [{"event": "Hello from Dragonfly", "timestamp": "2025-07-01T10:00:02.345678Z", "level": "info"}],
         "continuation_token": null}
        """;

    private const string ImportErrors = """
        {"import_errors": [{"import_error_id": 1, "timestamp": "2025-07-01T09:59:00Z", "filename": "broken.py",
          "bundle_name": "dags-folder", "stack_trace": "Traceback (most recent call last): ..."}], "total_entries": 1}
        """;

    private static readonly string[] VersionFolders = ["3.0", "main-2026-02"];

    public static TheoryData<string> Versions => new(VersionFolders);

    public static TheoryData<string, string, string, string> RealisticResponses => Both(
        ("POST", DagRuns, DagRun),
        ("GET", EncodedRun, DagRun),
        ("GET", DagRuns + "?limit=10", $$"""{"dag_runs": [{{DagRun}}], "total_entries": 1}"""),
        ("GET", EncodedRun + "/taskInstances", TaskInstances),
        ("GET", "/api/v2/dags/hello_dragonfly", Dag),
        ("PATCH", "/api/v2/dags/hello_dragonfly", Dag),
        ("GET", "/api/v2/monitor/health", Health),
        ("GET", "/api/v2/version", VersionInfo),
        ("GET", Log, TaskLog),
        ("GET", Log, """{"content": ["plain text line"], "continuation_token": "eyJlbmRfb2ZfbG9nIjp0cnVlfQ"}"""),
        ("GET", "/api/v2/importErrors", ImportErrors));

    public static TheoryData<string, string, string, string, string> BrokenResponses => Both(
        ("GET", EncodedRun, Without(DagRun, "state"), "$.state: required property is missing"),
        ("GET", EncodedRun, With(DagRun, "state", "started"), "$.state: string \"started\" is not one of"),
        ("GET", EncodedRun, With(DagRun, "dag_versions", "1"), "$.dag_versions: expected array but got string"),
        ("GET", EncodedRun, With(DagRun, "run_after", "2025-07-01T10:00:00"), "$.run_after: \"2025-07-01T10:00:00\" is not an RFC 3339 date-time"),
        ("GET", EncodedRun + "/taskInstances", TaskInstances.Replace("\"try_number\": 1", "\"try_number\": \"1\""), "$.task_instances[0].try_number: expected integer but got string"),
        ("GET", EncodedRun + "/taskInstances", Without(TaskInstances, "total_entries"), "$.total_entries: required property is missing"),
        ("GET", "/api/v2/dags/hello_dragonfly", Without(Dag, "dag_id"), "$.dag_id: required property is missing"),
        ("GET", "/api/v2/dags/hello_dragonfly", With(Dag, "is_paused", "false"), "$.is_paused: expected boolean but got string"),
        ("GET", "/api/v2/monitor/health", Without(Health, "metadatabase"), "$.metadatabase: required property is missing"),
        ("GET", "/api/v2/version", With(VersionInfo, "version", 3), "$.version: expected string but got integer 3"),
        ("GET", Log, Without(TaskLog, "continuation_token"), "$.continuation_token: required property is missing"),
        ("GET", Log, TaskLog.Replace("\"event\"", "\"message\""), "$.content[0].event: required property is missing"),
        ("GET", "/api/v2/importErrors", With(ImportErrors, "total_entries", 1.5), "$.total_entries: expected integer but got number 1.5"));

    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_AcceptsNullLogicalDateWithRunId(string version) =>
        Assert.Empty(Load(version).CheckRequest("POST", DagRuns, """{"logical_date": null, "dag_run_id": "x"}"""));

    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_RejectsBodyWithoutLogicalDate(string version) =>
        AssertProblem(Load(version).CheckRequest("POST", DagRuns, "{}"), "trigger_dag_run: request body $.logical_date: required property is missing");

    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_RejectsFieldsTheBodyDoesNotDeclare(string version) =>
        AssertProblem(Load(version).CheckRequest("POST", DagRuns, """{"logical_date": null, "bogus": 1}"""), "trigger_dag_run: request body $.bogus: property is not allowed");

    // The documents give logical_date "format: date-time", which JSON Schema defines as RFC 3339: an offset is required.
    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_RejectsLogicalDateWithoutTimeZone(string version)
    {
        var api = Load(version);
        AssertProblem(api.CheckRequest("POST", DagRuns, """{"logical_date": "2025-01-01T00:00:00"}"""), "$.logical_date: \"2025-01-01T00:00:00\" is not an RFC 3339 date-time with a time zone");
        Assert.Empty(api.CheckRequest("POST", DagRuns, """{"logical_date": "2025-01-01T00:00:00Z"}"""));
        Assert.Empty(api.CheckRequest("POST", DagRuns, """{"logical_date": "2025-01-01T00:00:00.5+02:00"}"""));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_NamesEveryAllowedTypeWhenLogicalDateHasNone(string version) =>
        AssertProblem(Load(version).CheckRequest("POST", DagRuns, """{"logical_date": 5}"""), "$.logical_date: expected string or null but got integer 5");

    [Theory]
    [MemberData(nameof(Versions))]
    public void TriggerDagRun_RequiresABody(string version) =>
        AssertProblem(Load(version).CheckRequest("POST", DagRuns, null), "trigger_dag_run: a request body is required");

    [Theory]
    [InlineData("3.0", false)]
    [InlineData("main-2026-02", true)]
    public void TriggerDagRun_AcceptsNullConfOnlyFromMain(string version, bool accepted)
    {
        var problems = Load(version).CheckRequest("POST", DagRuns, """{"logical_date": null, "conf": null}""");
        if (accepted)
        {
            Assert.Empty(problems);
        }
        else
        {
            AssertProblem(problems, "$.conf: expected object but got null");
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void PatchDag_AcceptsIsPausedOnly(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("PATCH", "/api/v2/dags/hello_dragonfly", """{"is_paused": false}"""));
        Assert.Empty(api.CheckRequest("PATCH", "/api/v2/dags/hello_dragonfly?update_mask=is_paused", """{"is_paused": true}"""));
        AssertProblem(api.CheckRequest("PATCH", "/api/v2/dags/hello_dragonfly", """{"is_paused": false, "description": "x"}"""), "patch_dag: request body $.description: property is not allowed");
        AssertProblem(api.CheckRequest("PATCH", "/api/v2/dags/hello_dragonfly", """{"is_paused": "false"}"""), "$.is_paused: expected boolean but got string");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void CreateToken_AcceptsUsernameAndPasswordAndAnswers201WithAccessToken(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("POST", "/auth/token", """{"username": "admin", "password": "x"}"""));
        AssertProblem(api.CheckRequest("POST", "/auth/token", """{"username": "admin"}"""), "create_token: request body $.password: required property is missing");
        Assert.Empty(api.CheckResponse("POST", "/auth/token", 201, """{"access_token": "eyJhbGciOiJIUzUxMiJ9.e30.c2ln"}"""));
        AssertProblem(api.CheckResponse("POST", "/auth/token", 200, """{"access_token": "x"}"""), "create_token: status 200 is not documented");
        AssertProblem(api.CheckResponse("POST", "/auth/token", 201, """{"token": "x"}"""), "$.access_token: required property is missing");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Requests_WithoutADocumentedBody_MustNotSendOne(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", "/api/v2/version", null));
        AssertProblem(api.CheckRequest("GET", "/api/v2/version", "{}"), "get_version: takes no application/json request body");
    }

    // FastAPI would also take "True" (what C#'s bool.ToString() writes); the contract holds the client to JSON's spelling.
    [Theory]
    [MemberData(nameof(Versions))]
    public void GetLog_AcceptsFullContentTrueButNotOtherSpellings(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", Log + "?full_content=true&map_index=-1", null));
        Assert.Empty(api.CheckRequest("GET", Log + "?full_content=false", null));
        AssertProblem(api.CheckRequest("GET", Log + "?full_content=True", null), "get_log: query parameter 'full_content': expected boolean but got string \"True\"");
        AssertProblem(api.CheckRequest("GET", Log + "?full_content=maybe", null), "get_log: query parameter 'full_content': expected boolean but got string \"maybe\"");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void UnknownQueryParameter_IsRejected(string version) =>
        AssertProblem(Load(version).CheckRequest("GET", Log + "?full_contents=true", null), "get_log: unknown query parameter 'full_contents'");

    [Theory]
    [MemberData(nameof(Versions))]
    public void IntegerQueryParameter_MustBeAnIntegerWithinItsMinimum(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", DagRuns + "?limit=10&offset=0", null));
        AssertProblem(api.CheckRequest("GET", DagRuns + "?limit=ten", null), "get_dag_runs: query parameter 'limit': expected integer but got string \"ten\"");
        AssertProblem(api.CheckRequest("GET", DagRuns + "?limit=-1", null), "query parameter 'limit': -1 is less than the minimum 0");
    }

    // .../dagRuns/{dag_run_id}/wait is one of the operations the 3.0 line lacks (see TestData/Airflow/README.md).
    [Fact]
    public void The_3_0_line_has_no_wait_operation() =>
        AssertProblem(Load("3.0").CheckRequest("GET", EncodedRun + "/wait?interval=0.5", null), "no operation has a path matching GET");

    [Theory]
    [InlineData("main-2026-02")]
    public void NumberQueryParameter_RespectsExclusiveMinimum(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", EncodedRun + "/wait?interval=0.5", null));
        AssertProblem(api.CheckRequest("GET", EncodedRun + "/wait?interval=0", null), "query parameter 'interval': 0 is not greater than the exclusiveMinimum 0");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ArrayQueryParameter_MayRepeatButOthersMayNot(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", DagRuns + "?state=running&state=queued", null));
        AssertProblem(api.CheckRequest("GET", DagRuns + "?limit=1&limit=2", null), "query parameter 'limit' is given 2 times but takes one value");
    }

    // Airflow decodes '+' in a query string as a space, so an offset must be sent as %2B.
    [Theory]
    [MemberData(nameof(Versions))]
    public void DateTimeQueryParameter_NeedsItsPlusSignEncoded(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", DagRuns + "?logical_date_gte=2025-07-01T00%3A00%3A00%2B00%3A00", null));
        AssertProblem(api.CheckRequest("GET", DagRuns + "?logical_date_gte=2025-07-01T00:00:00+00:00", null), "query parameter 'logical_date_gte': \"2025-07-01T00:00:00 00:00\" is not an RFC 3339 date-time");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RequiredQueryParameter_MustBeGiven(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", "/api/v2/backfills?dag_id=hello_dragonfly", null));
        AssertProblem(api.CheckRequest("GET", "/api/v2/backfills", null), "list_backfills: required query parameter 'dag_id' is missing");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void UnknownPathOrMethod_IsRejected(string version)
    {
        var api = Load(version);
        AssertProblem(api.CheckRequest("GET", "/api/v2/dags/hello_dragonfly/runs", null), $"Airflow {version}: no operation has a path matching GET /api/v2/dags/hello_dragonfly/runs");
        AssertProblem(api.CheckRequest("DELETE", "/api/v2/version", null), "/api/v2/version matches /api/v2/version, which has no DELETE operation (only GET)");
        AssertProblem(api.CheckResponse("GET", "/api/v1/dags", 200, "{}"), "no operation has a path matching GET /api/v1/dags");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void PathSegments_ArePercentDecodedButMustNotHideASlash(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("GET", EncodedRun, null));
        Assert.Empty(api.CheckRequest("GET", "/api/v2/dags/hello_dragonfly/dagRuns/" + RunId, null));
        AssertProblem(api.CheckRequest("GET", "/api/v2/dags/hello_dragonfly/dagRuns/a%2Fb", null), "path segment 'a/b'");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void LiteralPathSegment_WinsOverATemplate(string version)
    {
        var api = Load(version);
        var task = EncodedRun + "/taskInstances/say_hello";
        Assert.Empty(api.CheckRequest("GET", task + "/tries", null));
        Assert.Empty(api.CheckRequest("GET", task + "/3", null));
        AssertProblem(api.CheckRequest("GET", task + "/three", null), "get_mapped_task_instance: path parameter 'map_index': expected integer but got string \"three\"");
        AssertProblem(api.CheckRequest("GET", EncodedRun + "/taskInstances/say_hello/logs/x", null), "get_log: path parameter 'try_number': expected integer");
    }

    [Theory]
    [MemberData(nameof(RealisticResponses))]
    public void RealisticResponse_Validates(string version, string method, string path, string body) =>
        Assert.Empty(Load(version).CheckResponse(method, path, 200, body));

    [Theory]
    [MemberData(nameof(BrokenResponses))]
    public void BrokenResponse_IsRejectedNamingTheField(string version, string method, string path, string body, string problem) =>
        AssertProblem(Load(version).CheckResponse(method, path, 200, body), problem);

    [Theory]
    [InlineData("3.0", "partition_key", true)]
    [InlineData("main-2026-02", "partition_key", false)]
    // 3.0.x's DAGRunResponse has no dag_display_name: the 3.1 line added it (the Python client's 3.0.2 spec lacks it).
    [InlineData("3.0", "dag_display_name", true)]
    [InlineData("main-2026-02", "dag_display_name", false)]
    public void DagRunResponse_RequiresTheFieldsOfItsVersion(string version, string missing, bool accepted)
    {
        var problems = Load(version).CheckSchema("DAGRunResponse", Without(DagRun, missing));
        if (accepted)
        {
            Assert.Empty(problems);
        }
        else
        {
            AssertProblem(problems, $"DAGRunResponse $.{missing}: required property is missing");
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void UndocumentedStatus_IsRejected(string version) =>
        AssertProblem(Load(version).CheckResponse("GET", "/api/v2/version", 418, "{}"), "get_version: status 418 is not documented (documented: 200)");

    [Theory]
    [MemberData(nameof(Versions))]
    public void ErrorResponses_ValidateAgainstTheirOwnSchemas(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckResponse("GET", EncodedRun, 404, """{"detail": "The DagRun with dag_id: `hello_dragonfly` and run_id: `x` was not found"}"""));
        Assert.Empty(api.CheckResponse("POST", DagRuns, 422, """{"detail": [{"loc": ["body", "logical_date"], "msg": "Field required", "type": "missing"}]}"""));
        AssertProblem(api.CheckResponse("GET", EncodedRun, 404, """{"message": "not found"}"""), "get_dag_run: response 404 body $.detail: required property is missing");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ResponseBody_MustBeGivenWhenDocumentedAndBeJson(string version)
    {
        var api = Load(version);
        AssertProblem(api.CheckResponse("GET", "/api/v2/version", 200, null), "get_version: response 200 body: the status documents an application/json body, but none was given");
        AssertProblem(api.CheckResponse("GET", "/api/v2/version", 200, "version 3"), "get_version: response 200 body is not JSON");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void BulkAction_MustMatchExactlyOneOfItsShapes(string version)
    {
        var api = Load(version);
        Assert.Empty(api.CheckRequest("PATCH", "/api/v2/pools", """{"actions": [{"action": "create", "entities": [{"name": "dragonfly", "slots": 2}]}]}"""));
        Assert.Empty(api.CheckRequest("PATCH", "/api/v2/pools", """{"actions": [{"action": "delete", "entities": ["dragonfly"]}]}"""));
        AssertProblem(api.CheckRequest("PATCH", "/api/v2/pools", """{"actions": [{"action": "explode", "entities": []}]}"""), "bulk_pools: request body $.actions[0]: matches none of the oneOf branches");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void CheckSchema_RefusesAnUnknownSchemaName(string version) =>
        Assert.Throws<ArgumentException>(() => Load(version).CheckSchema("DagRunResponse", "{}"));

    [Fact]
    public void Load_NamesTheFolderItLookedFor()
    {
        var exception = Assert.Throws<DirectoryNotFoundException>(() => AirflowOpenApi.Load("1.10.15"));
        Assert.Contains(Path.Combine("TestData", "Airflow", "1.10.15"), exception.Message);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Load_KeepsTheVersion(string version) => Assert.Equal(version, Load(version).Version);

    [Theory]
    [InlineData("""{"not": {"type": "null"}}""", "keyword 'not'")]
    [InlineData("""{"type": "string", "format": "email"}""", "format 'email'")]
    [InlineData("""{"properties": {"a": {"patternProperties": {}}}}""", "keyword 'patternProperties'")]
    [InlineData("""{"$ref": "other.yaml#/x"}""", "$ref 'other.yaml#/x'")]
    public void Validator_RefusesSchemaFeaturesItDoesNotImplement(string schema, string feature)
    {
        var element = JsonSerializer.Deserialize<JsonElement>(schema);
        var exception = Assert.Throws<NotSupportedException>(() => JsonSchemaValidator.EnsureSupported(element, "test"));
        Assert.Contains(feature, exception.Message);
        Assert.Throws<NotSupportedException>(() => new JsonSchemaValidator(element).Validate(element, JsonSerializer.Deserialize<JsonElement>("""{"a": 1}""")));
    }

    [Theory]
    [InlineData("""{"type": "string", "minLength": 2, "maxLength": 3}""", "\"a\"", "has 1 characters, fewer than minLength 2")]
    [InlineData("""{"type": "string", "minLength": 2, "maxLength": 3}""", "\"abcd\"", "has 4 characters, more than maxLength 3")]
    [InlineData("""{"type": "number", "maximum": 1, "exclusiveMaximum": 2}""", "1.5", "1.5 is greater than the maximum 1")]
    [InlineData("""{"type": "number", "maximum": 1, "exclusiveMaximum": 2}""", "2", "2 is not less than the exclusiveMaximum 2")]
    [InlineData("""{"allOf": [{"required": ["a"]}, {"required": ["b"]}]}""", """{"a": 1}""", "$.b: required property is missing")]
    [InlineData("""{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2, "maxItems": 2}""", """["a", "b"]""", "$[1]: expected integer but got string")]
    [InlineData("""{"type": "array", "prefixItems": [{"type": "string"}], "maxItems": 1}""", """["a", 2]""", "has 2 items, more than maxItems 1")]
    [InlineData("""{"type": "string", "pattern": "^[\\w.-]+$"}""", "\"a b\"", "does not match the pattern")]
    [InlineData("""{"type": "string", "format": "uuid"}""", "\"0197c0de\"", "is not a UUID")]
    [InlineData("""{"type": "string", "format": "duration"}""", "\"1 day\"", "is not an ISO 8601 duration")]
    [InlineData("""{"type": "string", "format": "date-time"}""", "\"2025-02-30T00:00:00Z\"", "is not an RFC 3339 date-time")]
    [InlineData("""{"const": "create"}""", "\"update\"", "string \"update\" is not \"create\"")]
    [InlineData("""{"oneOf": [{"type": "string"}, {"minLength": 1}]}""", "\"a\"", "matches 2 oneOf branches, but must match exactly one")]
    public void Validator_EnforcesTheKeywordsItImplements(string schema, string instance, string problem)
    {
        var element = JsonSerializer.Deserialize<JsonElement>(schema);
        var errors = new JsonSchemaValidator(element).Validate(element, JsonSerializer.Deserialize<JsonElement>(instance));
        AssertProblem(errors.Select(error => error.ToString()).ToList(), problem);
    }

    [Theory]
    [InlineData("""{"type": "string", "format": "duration"}""", "\"P1DT2H\"")]
    [InlineData("""{"type": "string", "format": "duration"}""", "\"PT3600.5S\"")]
    [InlineData("""{"type": "string", "format": "date-time"}""", "\"2024-02-29T23:59:59.999999-05:30\"")]
    [InlineData("""{"type": "integer"}""", "2.0")]
    [InlineData("""{"type": ["string", "null"]}""", "null")]
    public void Validator_AcceptsValidValues(string schema, string instance)
    {
        var element = JsonSerializer.Deserialize<JsonElement>(schema);
        Assert.Empty(new JsonSchemaValidator(element).Validate(element, JsonSerializer.Deserialize<JsonElement>(instance)));
    }

    private static AirflowOpenApi Load(string version) => AirflowOpenApi.Load(version);

    private static void AssertProblem(IReadOnlyList<string> problems, string expected) =>
        Assert.True(
            problems.Any(problem => problem.Contains(expected, StringComparison.Ordinal)),
            $"Expected a problem containing: {expected}\nGot:\n{string.Join("\n", problems.DefaultIfEmpty("(no problems)"))}");

    private static string Without(string json, string property)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        Assert.True(node.Remove(property), $"test body has no '{property}'");
        return node.ToJsonString();
    }

    private static string With(string json, string property, JsonNode? value)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node[property] = value;
        return node.ToJsonString();
    }

    private static TheoryData<string, string, string, string> Both(params (string Method, string Path, string Body)[] cases)
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var version in VersionFolders)
        {
            foreach (var (method, path, body) in cases)
            {
                data.Add(version, method, path, body);
            }
        }

        return data;
    }

    private static TheoryData<string, string, string, string, string> Both(params (string Method, string Path, string Body, string Problem)[] cases)
    {
        var data = new TheoryData<string, string, string, string, string>();
        foreach (var version in VersionFolders)
        {
            foreach (var (method, path, body, problem) in cases)
            {
                data.Add(version, method, path, body, problem);
            }
        }

        return data;
    }
}
