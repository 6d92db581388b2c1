"""REST API v2 routes the Verifier uses (airflow-core/src/airflow/api_fastapi/core_api/routes/public/).

version.py, monitor.py (api/common/airflow_health.py), dags.py (get_dag, patch_dag), import_error.py,
dag_run.py (trigger_dag_run, get_dag_run), task_instances.py (get_task_instances), log.py (get_log).
Auth comes first, as FastAPI resolves the route's security dependency before the body.
"""

from __future__ import annotations

import json
import sqlite3

from airflow_standin import AIRFLOW_VERSION, db
from airflow_standin.api import auth, logs, serializers
from airflow_standin.api.http import HTTPException, Request, Response, Router, json_response
from airflow_standin.api.validation import (
    Field,
    RequestValidationError,
    error,
    nullable,
    parse_json_body,
    path_param,
    query_param,
    v_aware_datetime,
    v_bool,
    v_dict,
    v_int,
    v_str,
    validate_model,
)
from airflow_standin.jobs import is_alive, most_recent_job
from airflow_standin.timeutil import to_db, utcnow, uuid7


def _con() -> sqlite3.Connection:
    return db.connect()


# --- version, monitor ---------------------------------------------------------------------------------

def get_version(request: Request) -> Response:
    return json_response({"version": AIRFLOW_VERSION, "git_version": None})


def get_health(request: Request) -> Response:
    """airflow_health.get_airflow_health (3.0.3): scheduler unhealthy when it never ran, the others null."""
    metadatabase = "healthy"
    result = {
        "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        "triggerer": {"status": "unhealthy", "latest_triggerer_heartbeat": None},
        "dag_processor": {"status": "unhealthy", "latest_dag_processor_heartbeat": None},
    }
    try:
        con = _con()
    except sqlite3.Error:
        con = None
        metadatabase = "unhealthy"
    for key, job_type, field, null_when_absent in (
        ("scheduler", "SchedulerJob", "latest_scheduler_heartbeat", False),
        ("triggerer", "TriggererJob", "latest_triggerer_heartbeat", True),
        ("dag_processor", "DagProcessorJob", "latest_dag_processor_heartbeat", True),
    ):
        if con is None:
            continue
        try:
            job = most_recent_job(con, job_type)
        except sqlite3.Error:
            metadatabase = "unhealthy"
            continue
        if job is not None:
            result[key][field] = job["latest_heartbeat"]
            result[key]["status"] = "healthy" if is_alive(job) else "unhealthy"
        elif null_when_absent:
            result[key]["status"] = None
    if con is not None:
        con.close()
    return json_response({"metadatabase": {"status": metadatabase}, **result})


# --- DAGs ---------------------------------------------------------------------------------------------

def _dag_or_404(con, dag_id: str, message: str) -> sqlite3.Row:
    dag = con.execute("SELECT * FROM dag WHERE dag_id = ?", (dag_id,)).fetchone()
    if dag is None:
        raise HTTPException(404, message)
    return dag


# routes/public/dags.py get_dags (3.0.3) and common/parameters.py: the orderings SortParam allows; "state" and
# "start_date" are allowed names but no DagModel attribute, so they end in the same 400 as an unknown one.
_DAG_ORDER = {"dag_id": "d.dag_id", "dag_display_name": "d.dag_id", "next_dagrun": "NULL",
              "last_run_state": "lr.state", "last_run_start_date": "lr.start_date"}


def get_dags(request: Request) -> Response:
    """limit/offset (QueryLimit/QueryOffset), tags + tags_match_mode (_TagsFilter: any, or all), owners
    (_OwnersFilter: ILIKE %owner%), dag_id_pattern (_SearchParam: ILIKE %pattern%, "~" = everything),
    exclude_stale (default true: only DAGs that are not stale), paused, last_dag_run_state (the run with the highest
    id among those that started), order_by (SortParam; the primary key breaks ties)."""
    auth.authenticate(request, "GET", "VIEWER")
    q = request.query
    limit = query_param(q, "limit", v_int, 50, minimum=0)
    offset = query_param(q, "offset", v_int, 0, minimum=0)
    tags = q.get("tags") or []
    mode = query_param(q, "tags_match_mode", v_str, None)
    if mode is not None and mode not in ("any", "all"):
        raise RequestValidationError([error("literal_error", ["query", "tags_match_mode"],
                                            "Input should be 'any' or 'all'", mode, {"expected": "'any' or 'all'"})])
    owners = q.get("owners") or []
    pattern = query_param(q, "dag_id_pattern", v_str, None)
    exclude_stale = query_param(q, "exclude_stale", v_bool, True)
    paused = query_param(q, "paused", v_bool, None)
    last_state = query_param(q, "last_dag_run_state", v_str, None)
    order_by = query_param(q, "order_by", v_str, "dag_id")
    column = _DAG_ORDER.get(order_by.lstrip("-"))
    if column is None:
        raise HTTPException(400, f"Ordering with '{order_by.lstrip('-')}' is disallowed or the attribute does not "
                                 f"exist on the model")
    direction = "DESC" if order_by.startswith("-") else "ASC"
    where, args = ["1 = 1"], []
    if exclude_stale:
        where.append("d.is_stale = 0")
    if paused is not None:
        where.append("d.is_paused = ?")
        args.append(int(paused))
    if pattern is not None:
        where.append("d.dag_id LIKE ?")
        args.append(f"%{'%' if pattern == '~' else pattern}%")
    if owners:
        where.append("(" + " OR ".join("d.owners LIKE ?" for _ in owners) + ")")
        args += [f"%{o}%" for o in owners]
    if tags:
        # tags are stored as a JSON list of strings
        conditions = ["EXISTS (SELECT 1 FROM json_each(d.tags) WHERE json_each.value = ?)" for _ in tags]
        where.append("(" + (" AND " if mode == "all" else " OR ").join(conditions) + ")")
        args += tags
    if last_state is not None:
        where.append("lr.state = ?")
        args.append(last_state)
    base = ("FROM dag d LEFT JOIN dag_run lr ON lr.id = (SELECT MAX(id) FROM dag_run r WHERE r.dag_id = d.dag_id"
            " AND r.start_date IS NOT NULL) WHERE " + " AND ".join(where))
    con = _con()
    try:
        total = con.execute(f"SELECT COUNT(*) {base}", args).fetchone()[0]
        rows = con.execute(f"SELECT d.* {base} ORDER BY {column} {direction}, d.dag_id ASC LIMIT ? OFFSET ?",
                           args + [min(limit, 100), offset]).fetchall()
        return json_response({"dags": [serializers.dag_response(r) for r in rows], "total_entries": total})
    finally:
        con.close()


def get_plugins(request: Request) -> Response:
    """routes/public/plugins.py get_plugins (3.0.3): the plugins of [core] plugins_folder sorted by name, paged,
    with PluginResponse's fields (datamodels/plugins.py); a plugin file that failed to import is only logged."""
    auth.authenticate(request, "GET", "VIEWER")
    limit = query_param(request.query, "limit", v_int, 50, minimum=0)
    offset = query_param(request.query, "offset", v_int, 0, minimum=0)
    from airflow import plugins_manager

    fields = ("name", "macros", "flask_blueprints", "fastapi_apps", "fastapi_root_middlewares", "appbuilder_views",
              "appbuilder_menu_items", "global_operator_extra_links", "operator_extra_links", "source", "listeners",
              "timetables")
    info = sorted(plugins_manager.get_plugin_info(), key=lambda x: x["name"])
    page = info[offset:][:min(limit, 100)]
    return json_response({"plugins": [{k: p[k] for k in fields} for p in page], "total_entries": len(info)})


def get_dag(request: Request) -> Response:
    auth.authenticate(request, "GET", "VIEWER")
    dag_id = request.path_params["dag_id"]
    con = _con()
    try:
        dag = _dag_or_404(con, dag_id, f"Dag with id {dag_id} was not found")
        return json_response(serializers.dag_response(dag))
    finally:
        con.close()


def patch_dag(request: Request) -> Response:
    auth.authenticate(request, "PUT", "USER")
    dag_id = request.path_params["dag_id"]
    update_mask = request.query.get("update_mask")
    body = validate_model(parse_json_body(request.body), {"is_paused": Field(v_bool, required=True)}, ["body"])
    if update_mask and update_mask != ["is_paused"]:
        raise HTTPException(400, "Only `is_paused` field can be updated through the REST API")
    con = _con()
    try:
        with db.write(con):
            dag = _dag_or_404(con, dag_id, f"Dag with id: {dag_id} was not found")
            con.execute("UPDATE dag SET is_paused = ? WHERE dag_id = ?", (int(body["is_paused"]), dag_id))
        dag = con.execute("SELECT * FROM dag WHERE dag_id = ?", (dag_id,)).fetchone()
        return json_response(serializers.dag_response(dag))
    finally:
        con.close()


# --- import errors ------------------------------------------------------------------------------------

_IMPORT_ERROR_ORDER = {"id": "id", "import_error_id": "id", "timestamp": "timestamp", "filename": "filename",
                       "bundle_name": "bundle_name", "stacktrace": "stacktrace"}


def get_import_errors(request: Request) -> Response:
    auth.authenticate(request, "GET", "VIEWER")
    limit = query_param(request.query, "limit", v_int, 50, minimum=0)
    offset = query_param(request.query, "offset", v_int, 0, minimum=0)
    order_by = query_param(request.query, "order_by", v_str, "id")
    column = _IMPORT_ERROR_ORDER.get(order_by.lstrip("-"))
    if column is None:
        raise HTTPException(400, f"Ordering with '{order_by.lstrip('-')}' is disallowed or the attribute does not "
                                 f"exist on the model")
    direction = "DESC" if order_by.startswith("-") else "ASC"
    con = _con()
    try:
        total = con.execute("SELECT COUNT(*) FROM import_error").fetchone()[0]
        rows = con.execute(f"SELECT * FROM import_error ORDER BY {column} {direction} LIMIT ? OFFSET ?",
                           (min(limit, 100), offset)).fetchall()
        return json_response({"import_errors": [serializers.import_error_response(r) for r in rows],
                              "total_entries": total})
    finally:
        con.close()


# --- DAG runs -----------------------------------------------------------------------------------------

TRIGGER_FIELDS = {
    "dag_run_id": Field(nullable(v_str)),
    "data_interval_start": Field(nullable(v_aware_datetime)),
    "data_interval_end": Field(nullable(v_aware_datetime)),
    "logical_date": Field(nullable(v_aware_datetime), required=True),
    "run_after": Field(nullable(v_aware_datetime)),
    "conf": Field(v_dict, default_factory=dict),
    "note": Field(nullable(v_str)),
}


def trigger_dag_run(request: Request) -> Response:
    user = auth.authenticate(request, "POST", "USER")
    dag_id = request.path_params["dag_id"]
    raw = parse_json_body(request.body)
    body = validate_model(raw, TRIGGER_FIELDS, ["body"])
    if (body["data_interval_start"] is None) != (body["data_interval_end"] is None):
        raise RequestValidationError([error(
            "value_error", ["body"],
            "Value error, Either both data_interval_start and data_interval_end must be provided or both must be None",
            raw, {"error": {}})])
    con = _con()
    try:
        dag = con.execute("SELECT * FROM dag WHERE dag_id = ? AND is_stale = 0", (dag_id,)).fetchone()
        if dag is None:
            raise HTTPException(404, f"DAG with dag_id: '{dag_id}' not found")
        if dag["has_import_errors"]:
            raise HTTPException(400, f"DAG with dag_id: '{dag_id}' has import errors and cannot be triggered")
        now = utcnow()
        logical_date = body["logical_date"]
        run_after = body["run_after"] or now
        interval = (None, None)
        if logical_date is not None:
            if body["data_interval_start"] is not None:
                interval = (body["data_interval_start"], body["data_interval_end"])
            else:
                interval = (logical_date, logical_date)  # NullTimetable.infer_manual_data_interval
            run_after = interval[1]
        run_id = body["dag_run_id"] or f"manual__{(logical_date or run_after).isoformat()}"
        version = con.execute("SELECT * FROM dag_version WHERE dag_id = ? ORDER BY version_number DESC LIMIT 1",
                              (dag_id,)).fetchone()
        tasks = json.loads(dag["tasks"])
        try:
            with db.write(con):
                con.execute(
                    "INSERT INTO dag_run (dag_id, run_id, state, run_type, logical_date, data_interval_start,"
                    " data_interval_end, run_after, queued_at, triggered_by, triggering_user_name, conf, note,"
                    " bundle_version, dag_version_id, updated_at)"
                    " VALUES (?, ?, 'queued', 'manual', ?, ?, ?, ?, ?, 'rest_api', ?, ?, ?, NULL, ?, ?)",
                    (dag_id, run_id, to_db(logical_date), to_db(interval[0]), to_db(interval[1]), to_db(run_after),
                     to_db(now), user["username"], json.dumps(body["conf"]), body["note"],
                     version["id"] if version else None, to_db(now)))
                for t in tasks:
                    con.execute(
                        "INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, try_number, max_tries,"
                        " state, pool, pool_slots, queue, priority_weight, operator, executor, retry_delay,"
                        " dag_version_id, updated_at) VALUES (?, ?, ?, ?, -1, 0, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (uuid7(), dag_id, run_id, t["task_id"], t["retries"], t["pool"], t["pool_slots"], t["queue"],
                         t["priority_weight"], t["operator"], t["executor"], t["retry_delay"],
                         version["id"] if version else None, to_db(now)))
        except sqlite3.IntegrityError as e:
            raise HTTPException(409, {
                "reason": "Unique constraint violation",
                "statement": "INSERT INTO dag_run (dag_id, queued_at, logical_date, start_date, end_date, state, "
                             "run_id, creating_job_id, run_type, triggered_by, triggering_user_name, conf, "
                             "data_interval_start, data_interval_end, run_after, last_scheduling_decision, "
                             "log_template_id, updated_at, clear_number, backfill_id, bundle_version, "
                             "scheduled_by_job_id, context_carrier, created_dag_version_id) VALUES (?, ?, ?, ?, ?, ?, "
                             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT max(log_template.id) AS max_1 \nFROM log_template), "
                             "?, ?, ?, ?, ?, ?, ?)",
                "orig_error": f"UNIQUE constraint failed: {_unique_columns(str(e))}",
            }) from None
        run = con.execute("SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)).fetchone()
        return json_response(serializers.dag_run_response(con, run))
    finally:
        con.close()


def _unique_columns(message: str) -> str:
    return message.split("UNIQUE constraint failed: ", 1)[-1]


def _run_or_404(con, dag_id: str, run_id: str) -> sqlite3.Row:
    run = con.execute("SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)).fetchone()
    if run is None:
        raise HTTPException(404, f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
    return run


def get_dag_run(request: Request) -> Response:
    auth.authenticate(request, "GET", "VIEWER")
    con = _con()
    try:
        run = _run_or_404(con, request.path_params["dag_id"], request.path_params["dag_run_id"])
        return json_response(serializers.dag_run_response(con, run))
    finally:
        con.close()


# --- task instances -----------------------------------------------------------------------------------

def get_task_instances(request: Request) -> Response:
    auth.authenticate(request, "GET", "VIEWER")
    dag_id, run_id = request.path_params["dag_id"], request.path_params["dag_run_id"]
    limit = query_param(request.query, "limit", v_int, 50, minimum=0)
    offset = query_param(request.query, "offset", v_int, 0, minimum=0)
    task_id = query_param(request.query, "task_id", v_str, None)
    states = request.query.get("state") or []
    con = _con()
    try:
        if con.execute("SELECT 1 FROM dag WHERE dag_id = ?", (dag_id,)).fetchone() is None:
            raise HTTPException(404, f"DAG with dag_id: `{dag_id}` was not found")
        run = con.execute("SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)).fetchone()
        if run is None:
            raise HTTPException(404, f"DagRun with run_id: `{run_id}` was not found")
        sql = "SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ?"
        args: list = [dag_id, run_id]
        if task_id is not None:
            sql += " AND task_id = ?"
            args.append(task_id)
        if states:
            named = [s for s in states if s not in ("none", "no_status")]
            clauses = []
            if named:
                clauses.append(f"state IN ({','.join('?' * len(named))})")
                args += named
            if len(named) != len(states):
                clauses.append("state IS NULL")
            sql += " AND (" + " OR ".join(clauses) + ")"
        rows = con.execute(sql + " ORDER BY map_index, task_id", args).fetchall()
        page = rows[offset:offset + min(limit, 100)]
        return json_response({"task_instances": [serializers.task_instance_response(con, ti, run) for ti in page],
                              "total_entries": len(rows)})
    finally:
        con.close()


def get_log(request: Request) -> Response:
    auth.authenticate(request, "GET", "VIEWER")
    try_number = path_param("try_number", request.path_params["try_number"], v_int, minimum=0)
    map_index = query_param(request.query, "map_index", v_int, -1)
    query_param(request.query, "full_content", v_bool, False)
    # header_accept_json_or_ndjson_depends: the Accept header's start picks JSON (also for */*) or NDJSON.
    accept = (request.headers.get("Accept") or "*/*").strip()
    if accept.startswith("application/x-ndjson"):
        accept = "application/x-ndjson"
    elif accept.startswith("*/*") or accept.startswith("application/json"):
        accept = "application/json"
    else:
        raise HTTPException(406, "Only application/json or application/x-ndjson is supported")
    con = _con()
    try:
        ti = con.execute("SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?",
                         (request.path_params["dag_id"], request.path_params["dag_run_id"],
                          request.path_params["task_id"], map_index)).fetchone()
        if ti is None:
            raise HTTPException(404, "TaskInstance not found")
        messages = logs.read_task_log(ti, try_number)
        if accept == "application/x-ndjson":
            body = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages).encode()
            return Response(200, body, "application/x-ndjson")
        return json_response({"content": messages, "continuation_token": None})
    finally:
        con.close()


def ui_root(request: Request) -> Response:
    body = (b"<!doctype html><title>Airflow stand-in</title><p>This is the AirflowAspire test double of the "
            b"Airflow 3.0.3 api-server: the Airflow UI is not simulated. The REST API is at /api/v2/.</p>")
    return Response(200, body, "text/html; charset=utf-8")


def register(router: Router) -> None:
    router.add("GET", "/", ui_root)
    router.add("GET", "/api/v2/version", get_version)
    router.add("GET", "/api/v2/monitor/health", get_health)
    router.add("GET", "/api/v2/dags", get_dags)
    router.add("GET", "/api/v2/plugins", get_plugins)
    router.add("GET", "/api/v2/dags/{dag_id}", get_dag)
    router.add("PATCH", "/api/v2/dags/{dag_id}", patch_dag)
    router.add("GET", "/api/v2/importErrors", get_import_errors)
    router.add("POST", "/api/v2/dags/{dag_id}/dagRuns", trigger_dag_run)
    router.add("GET", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}", get_dag_run)
    router.add("GET", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances", get_task_instances)
    router.add("GET", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}", get_log)
