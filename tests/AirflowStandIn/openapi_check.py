#!/usr/bin/python3
"""Check one JSON response against a response schema of Airflow 3.0.3's OpenAPI documents.

    openapi_check.py SPEC.yaml METHOD PATH_TEMPLATE STATUS < body.json

A small validator of the OpenAPI subset those documents use ($ref, type, anyOf, required, properties,
additionalProperties, items, enum, minimum, format date-time/uuid). Used by smoke-test; needs PyYAML
(Debian's python3-yaml) and exits 0 with a note when it is missing. Exit 1 lists the violations.
"""

from __future__ import annotations

import json
import re
import sys
import uuid

_DT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def check(schema: dict, value, spec: dict, where: str, errors: list[str]) -> None:
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return check(spec["components"]["schemas"][name], value, spec, where, errors)
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            sub: list[str] = []
            check(option, value, spec, where, sub)
            if not sub:
                return
        errors.append(f"{where}: {json.dumps(value)[:80]} matches none of anyOf")
        return
    kind = schema.get("type")
    types = {"string": str, "boolean": bool, "object": dict, "array": list}
    if kind == "null":
        if value is not None:
            errors.append(f"{where}: expected null")
        return
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{where}: expected integer, got {json.dumps(value)[:40]}")
            return
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{where}: expected number, got {json.dumps(value)[:40]}")
            return
    elif kind in types:
        if not isinstance(value, types[kind]):
            errors.append(f"{where}: expected {kind}, got {json.dumps(value)[:40]}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append(f"{where}: {value} < minimum {schema['minimum']}")
    if kind == "string" and schema.get("format") == "date-time" and not _DT.match(value):
        errors.append(f"{where}: {value!r} is not a date-time with a time zone")
    if kind == "string" and schema.get("format") == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            errors.append(f"{where}: {value!r} is not a uuid")
    if isinstance(value, dict) and (kind == "object" or "properties" in schema):
        props = schema.get("properties", {})
        for req in schema.get("required", []):
            if req not in value:
                errors.append(f"{where}: missing required {req!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                check(props[key], item, spec, f"{where}.{key}", errors)
            elif extra is False:
                errors.append(f"{where}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                check(extra, item, spec, f"{where}.{key}", errors)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(schema["items"], item, spec, f"{where}[{i}]", errors)


def main() -> int:
    try:
        import yaml
    except ImportError:
        print("openapi_check: PyYAML is not installed; response not checked")
        return 0
    spec_path, method, path, status = sys.argv[1:5]
    spec = yaml.safe_load(open(spec_path))
    responses = spec["paths"][path][method.lower()]["responses"]
    if status not in responses:
        print(f"openapi_check: {method} {path} does not document status {status} (has {sorted(responses)})")
        return 1
    content = responses[status].get("content", {}).get("application/json")
    if content is None:
        return 0
    body = json.load(sys.stdin)
    errors: list[str] = []
    check(content["schema"], body, spec, "$", errors)
    if errors:
        print(f"openapi_check: {method} {path} {status}:\n  " + "\n  ".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
