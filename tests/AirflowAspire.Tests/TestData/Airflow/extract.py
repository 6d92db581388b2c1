#!/usr/bin/python3
"""Makes this folder's test data from Airflow's own files: the parts the project tests against, not whole copies.

    extract.py openapi FULL_DOC.yaml OUT.yaml [--trim-to CLIENT_SPEC.yaml] [--source TEXT]
    extract.py config-keys CONFIG.yml PROVIDER.yaml OUT.txt [--source TEXT]

openapi: keeps the operations in OPERATIONS below (what the Verifier, the fakes and the stand-in call, and what the
contract checker's own tests exercise) and the component schemas they reach, unchanged. With --trim-to, operations
and schema properties that CLIENT_SPEC lacks are dropped (and dropped from `required`): that is how a document of a
newer line is brought back to an older one whose own generated document is not at hand (see README.md).

config-keys: every `section key` that config.yml and the Celery provider's provider.yaml declare, one per line.
Needs PyYAML (Debian's python3-yaml). Run by hand when a line is added; the tests never run it.
"""

from __future__ import annotations

import sys

import yaml

OPERATIONS = {
    # Called by the Verifier (Verifier/Airflow/AirflowClient.cs) and answered by the fakes and the stand-in.
    ("get", "/api/v2/version"),
    ("get", "/api/v2/monitor/health"),
    ("get", "/api/v2/dags"),
    ("get", "/api/v2/dags/{dag_id}"),
    ("patch", "/api/v2/dags/{dag_id}"),
    ("post", "/api/v2/dags/{dag_id}/dagRuns"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}"),
    ("get", "/api/v2/importErrors"),
    ("post", "/auth/token"),
    # Exercised by the contract checker's own tests (array, required and bounded query parameters, oneOf bodies,
    # literal path segments beside templates, an operation 3.0.x lacks).
    ("get", "/api/v2/dags/{dag_id}/dagRuns"),
    ("get", "/api/v2/backfills"),
    ("patch", "/api/v2/pools"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries"),
    ("get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/wait"),
}


def refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def openapi(args: list[str]) -> None:
    source, out, trim, note = args[0], args[1], None, ""
    if "--trim-to" in args:
        trim = yaml.safe_load(open(args[args.index("--trim-to") + 1]))
    if "--source" in args:
        note = args[args.index("--source") + 1]
    doc = yaml.safe_load(open(source))
    paths: dict = {}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if (method, path) not in OPERATIONS:
                continue
            if trim is not None and method not in trim["paths"].get(path, {}):
                continue  # the older line has no such operation
            paths.setdefault(path, {})[method] = operation
    needed: set[str] = set()
    refs(paths, needed)
    schemas, todo = {}, list(needed)
    while todo:
        name = todo.pop()
        if name in schemas:
            continue
        schema = doc["components"]["schemas"][name]
        if trim is not None:
            older = trim["components"]["schemas"].get(name)
            if older is not None and "properties" in schema:
                kept = {k: v for k, v in schema["properties"].items() if k in older.get("properties", {})}
                schema = dict(schema, properties=kept)
                if "required" in schema:
                    schema["required"] = [r for r in schema["required"] if r in kept]
        schemas[name] = schema
        found: set[str] = set()
        refs(schema, found)
        todo.extend(found - schemas.keys())
    info = dict(doc.get("info", {}))
    info["x-extracted"] = note
    result = {"openapi": doc["openapi"], "info": info, "paths": paths,
              "components": {"schemas": dict(sorted(schemas.items()))}}
    if "securitySchemes" in doc.get("components", {}):
        result["components"]["securitySchemes"] = doc["components"]["securitySchemes"]
    with open(out, "w") as f:
        f.write(f"# {note}\n# Made by extract.py; do not edit by hand.\n")
        yaml.safe_dump(result, f, sort_keys=False, width=120)


def config_keys(args: list[str]) -> None:
    config, provider, out = args[0], args[1], args[2]
    note = args[args.index("--source") + 1] if "--source" in args else ""
    keys = set()
    for section, body in yaml.safe_load(open(config)).items():
        for key in (body or {}).get("options", {}) or {}:
            keys.add((section, key))
    for section, body in (yaml.safe_load(open(provider)).get("config") or {}).items():
        for key in (body or {}).get("options", {}) or {}:
            keys.add((section, key))
    with open(out, "w") as f:
        f.write(f"# {note}\n# Made by extract.py; do not edit by hand. One `section key` per line.\n")
        for section, key in sorted(keys):
            f.write(f"{section} {key}\n")


if __name__ == "__main__":
    {"openapi": openapi, "config-keys": config_keys}[sys.argv[1]](sys.argv[2:])
