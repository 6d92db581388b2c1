"""REST API v2 response bodies with every field the 3.0.3 OpenAPI schemas require.

DAGResponse, DAGRunResponse, DagVersionResponse, TaskInstanceResponse, ImportErrorResponse
(/work/shared/reference/airflow/3.0.3/v2-rest-api-generated.yaml). Datetimes are aware UTC, rendered
as pydantic renders them. A newer line adds what its responses require (the Python client's spec/v2.yaml at
3.1.8 and 3.2.1, and Airflow's generated document of main 2026-02): from 3.1, DAGResponse.last_parse_duration,
DagTagResponse.dag_display_name and TaskInstanceResponse.operator_name; from 3.2, DAGRunResponse.partition_key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3

from airflow_standin import LINE
from airflow_standin.config import conf
from airflow_standin.timeutil import api, from_db
from airflow_standin.tokens import signing_key


def file_token(fileloc: str) -> str:
    """An itsdangerous-style URL-safe signed token of the file location (DAGResponse.file_token)."""
    payload = base64.urlsafe_b64encode(json.dumps(fileloc).encode()).decode().rstrip("=")
    sig = hmac.new(signing_key("api", "secret_key").encode(), payload.encode(), hashlib.sha1).digest()
    return f"{payload}.{base64.urlsafe_b64encode(sig).decode().rstrip('=')}"


def dag_response(dag: sqlite3.Row) -> dict:
    return {
        "dag_id": dag["dag_id"],
        "dag_display_name": dag["dag_id"],
        "is_paused": bool(dag["is_paused"]),
        "is_stale": bool(dag["is_stale"]),
        "last_parsed_time": api(dag["last_parsed_time"]),
        "last_expired": api(dag["last_expired"]),
        "bundle_name": dag["bundle_name"],
        "bundle_version": dag["bundle_version"],
        "relative_fileloc": dag["relative_fileloc"],
        "fileloc": dag["fileloc"],
        "description": dag["description"],
        "deadline": None,
        "timetable_summary": dag["timetable_summary"],
        "timetable_description": dag["timetable_description"],
        "tags": [{"name": t, "dag_id": dag["dag_id"], **({"dag_display_name": dag["dag_id"]} if LINE >= (3, 1) else {})}
                 for t in json.loads(dag["tags"])],
        "max_active_tasks": dag["max_active_tasks"],
        "max_active_runs": dag["max_active_runs"],
        "max_consecutive_failed_dag_runs": dag["max_consecutive_failed_dag_runs"],
        "has_task_concurrency_limits": bool(dag["has_task_concurrency_limits"]),
        "has_import_errors": bool(dag["has_import_errors"]),
        "next_dagrun_logical_date": None,
        "next_dagrun_data_interval_start": None,
        "next_dagrun_data_interval_end": None,
        "next_dagrun_run_after": None,
        "owners": json.loads(dag["owners"]),
        "file_token": file_token(dag["fileloc"]),
        **({"last_parse_duration": None} if LINE >= (3, 1) else {}),
    }


def dag_version_response(v: sqlite3.Row) -> dict:
    return {
        "id": v["id"],
        "version_number": v["version_number"],
        "dag_id": v["dag_id"],
        "bundle_name": v["bundle_name"],
        "bundle_version": v["bundle_version"],
        "created_at": api(v["created_at"]),
        "dag_display_name": v["dag_id"],
        "bundle_url": None,
    }


def dag_versions_of_run(con: sqlite3.Connection, run: sqlite3.Row) -> list[dict]:
    ids = [run["dag_version_id"]] if run["dag_version_id"] else []
    ids += [r[0] for r in con.execute(
        "SELECT DISTINCT dag_version_id FROM task_instance WHERE dag_id = ? AND run_id = ? AND dag_version_id IS NOT NULL",
        (run["dag_id"], run["run_id"]))]
    seen, out = set(), []
    for vid in ids:
        if vid in seen:
            continue
        seen.add(vid)
        v = con.execute("SELECT * FROM dag_version WHERE id = ?", (vid,)).fetchone()
        if v is not None:
            out.append(dag_version_response(v))
    return sorted(out, key=lambda v: v["version_number"])


def duration(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (from_db(end) - from_db(start)).total_seconds()


def dag_run_response(con: sqlite3.Connection, run: sqlite3.Row) -> dict:
    return {
        "dag_run_id": run["run_id"],
        "dag_id": run["dag_id"],
        "logical_date": api(run["logical_date"]),
        "queued_at": api(run["queued_at"]),
        "start_date": api(run["start_date"]),
        "end_date": api(run["end_date"]),
        "duration": duration(run["start_date"], run["end_date"]),
        "data_interval_start": api(run["data_interval_start"]),
        "data_interval_end": api(run["data_interval_end"]),
        "run_after": api(run["run_after"]),
        "last_scheduling_decision": api(run["last_scheduling_decision"]),
        "run_type": run["run_type"],
        "state": run["state"],
        "triggered_by": run["triggered_by"],
        "triggering_user_name": run["triggering_user_name"],
        "conf": json.loads(run["conf"]) if run["conf"] is not None else None,
        "note": run["note"],
        "dag_versions": dag_versions_of_run(con, run),
        "bundle_version": run["bundle_version"],
        "dag_display_name": run["dag_id"],
        **({"partition_key": None} if LINE >= (3, 2) else {}),
    }


def task_instance_response(con: sqlite3.Connection, ti: sqlite3.Row, run: sqlite3.Row) -> dict:
    version = con.execute("SELECT * FROM dag_version WHERE id = ?", (ti["dag_version_id"],)).fetchone()
    return {
        "id": ti["id"],
        "task_id": ti["task_id"],
        "dag_id": ti["dag_id"],
        "dag_version": dag_version_response(version) if version is not None else None,
        "dag_run_id": ti["run_id"],
        "map_index": ti["map_index"],
        "logical_date": api(run["logical_date"]),
        "run_after": api(run["run_after"]),
        "start_date": api(ti["start_date"]),
        "end_date": api(ti["end_date"]),
        "duration": ti["duration"],
        "state": ti["state"],
        "try_number": ti["try_number"],
        "max_tries": ti["max_tries"],
        "task_display_name": ti["task_id"],
        "dag_display_name": ti["dag_id"],
        "hostname": ti["hostname"],
        "unixname": ti["unixname"],
        "pool": ti["pool"],
        "pool_slots": ti["pool_slots"],
        "queue": ti["queue"],
        "priority_weight": ti["priority_weight"],
        "operator": ti["operator"],
        **({"operator_name": ti["operator"]} if LINE >= (3, 1) else {}),
        "queued_when": api(ti["queued_dttm"]),
        "scheduled_when": api(ti["scheduled_dttm"]),
        "pid": ti["pid"],
        "executor": ti["executor"],
        "executor_config": "{}",
        "note": None,
        "rendered_map_index": None,
        "rendered_fields": {},
        "trigger": None,
        "triggerer_job": None,
    }


def import_error_response(row: sqlite3.Row) -> dict:
    return {
        "import_error_id": row["id"],
        "timestamp": api(row["timestamp"]),
        "filename": row["filename"],
        "bundle_name": row["bundle_name"],
        "stack_trace": row["stacktrace"],
    }


def executor_repr() -> str:
    return conf().get("core", "executor")
