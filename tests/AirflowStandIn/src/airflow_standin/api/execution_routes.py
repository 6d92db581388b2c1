"""The Task Execution API subset a worker needs, mounted at ``/execution``.

airflow-core/src/airflow/api_fastapi/execution_api/:
- ``GET /execution/health`` -> ``{"status": "healthy"}`` (no token);
- every other route needs ``Authorization: Bearer <task token>`` (deps.py ``JWTBearer``): none -> 401
  ``{"detail": "Missing auth token"}``; any validation failure -> 403 ``{"detail": "Invalid auth token: <err>"}``
  (e.g. ``Signature verification failed``, ``Signature has expired``, ``Invalid claim: sub`` when the token's
  ``sub`` is not the task instance in the path). Tokens are checked with ``[api_auth] jwt_secret``,
  audience ``[execution_api] jwt_audience``, required ``exp``/``iat``/``nbf``;
- ``PATCH /execution/task-instances/{id}/run`` (TIEnterRunningPayload: state "running", hostname, unixname,
  pid, start_date): 200 with a TIRunContext when the TI was queued; 404 ``{"reason": "not_found", ...}``;
  409 ``{"reason": "invalid_state", "message": "TI was not in a state where it could be marked as running",
  "previous_state": ...}``; the same caller (hostname, unixname, pid) again gets 200;
- ``PATCH /execution/task-instances/{id}/state`` (success with end_date, task_outlets, outlet_events;
  failed/skipped/removed with end_date; up_for_retry with end_date): 204; 404; 409 ``{"reason":
  "invalid_state", "message": "TI was not in the running state so it cannot be updated", ...}``;
- ``PUT /execution/task-instances/{id}/heartbeat`` (hostname, pid): 204; 404; 409 ``running_elsewhere`` or
  ``not_running``;
- ``GET /execution/connections/{connection_id}`` (routes/connections.py, datamodels/connection.py
  ``ConnectionResponse``: conn_id, conn_type, host, schema, login, password, port, extra): 200; 404
  ``{"detail": {"reason": "not_found", "message": "Connection with ID {id} not found"}}``. The connection comes from
  ``Connection.get_connection_from_secrets``: ``AIRFLOW_CONN_{ID}`` in the api-server's environment (a URI or JSON),
  then the metadata DB;
- ``GET /execution/variables/{variable_key}`` (routes/variables.py, ``VariableResponse``: key, value): 200; 404
  ``{"detail": {"reason": "not_found", "message": "Variable with key '{key}' not found"}}``; ``AIRFLOW_VAR_{KEY}``,
  then the DB. Both need a valid task token (any task instance's: the access checks are placeholders in 3.0.3).
"""

from __future__ import annotations

import json

from airflow_standin import db
from airflow_standin.api.http import HTTPException, Request, Response, Router, json_response
from airflow_standin.api.validation import (
    Field,
    RequestValidationError,
    error,
    nullable,
    parse_json_body,
    path_param,
    v_int,
    v_literal,
    v_str,
    v_utc_datetime,
    v_uuid,
    validate_model,
)
from airflow_standin.timeutil import api, from_db, to_db, utcnow
from airflow_standin.tokens import validate_task_token


def _authenticate(request: Request, check_path_ti: bool = True) -> dict:
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Missing auth token")
    ti_id = request.path_params.get("task_instance_id") if check_path_ti else None
    try:
        return validate_task_token(token.strip(), ti_id)
    except Exception as err:
        print(f"WARNING - Failed to validate JWT: {type(err).__name__}: {err}", flush=True)
        raise HTTPException(403, f"Invalid auth token: {err}") from None


def health(request: Request) -> Response:
    return json_response({"status": "healthy"})


def _not_found() -> HTTPException:
    return HTTPException(404, {"reason": "not_found", "message": "Task Instance not found"})


def ti_run(request: Request) -> Response:
    _authenticate(request)
    ti_id = path_param("task_instance_id", request.path_params["task_instance_id"], v_uuid)
    payload = validate_model(parse_json_body(request.body), {
        "state": Field(v_literal("running"), default="running"),
        "hostname": Field(v_str, required=True),
        "unixname": Field(v_str, required=True),
        "pid": Field(v_int, required=True),
        "start_date": Field(v_utc_datetime, required=True),
    }, ["body"])
    con = db.connect()
    try:
        with db.write(con):
            ti = con.execute("SELECT * FROM task_instance WHERE id = ?", (ti_id,)).fetchone()
            if ti is None:
                raise _not_found()
            previous = ti["state"]
            same_caller = (ti["hostname"], ti["unixname"], ti["pid"]) == (
                payload["hostname"], payload["unixname"], payload["pid"])
            if previous == "restarting" and not same_caller:
                raise HTTPException(409, {"reason": "running_elsewhere", "previous_state": previous})
            if previous == "running" and same_caller:
                pass  # a duplicate start request from the same client
            elif previous != "queued":
                raise HTTPException(409, {
                    "reason": "invalid_state",
                    "message": "TI was not in a state where it could be marked as running",
                    "previous_state": previous,
                })
            else:
                con.execute("INSERT INTO log (dttm, event, dag_id, task_id, run_id, try_number, extra)"
                            " VALUES (?, 'running', ?, ?, ?, ?, ?)",
                            (to_db(utcnow()), ti["dag_id"], ti["task_id"], ti["run_id"], ti["try_number"],
                             json.dumps({"host_name": payload["hostname"]})))
            now = to_db(utcnow())
            con.execute(
                "UPDATE task_instance SET state = 'running', start_date = ?, end_date = NULL, hostname = ?,"
                " unixname = ?, pid = ?, last_heartbeat_at = ?, updated_at = ? WHERE id = ?",
                (to_db(payload["start_date"]), payload["hostname"], payload["unixname"], payload["pid"], now, now,
                 ti_id))
            run = con.execute("SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?",
                              (ti["dag_id"], ti["run_id"])).fetchone()
        if run is None:
            raise HTTPException(404, {"reason": "not_found", "message":
                                      f"DagRun with dag_id={ti['dag_id']} and run_id={ti['run_id']} not found"})
        max_tries = ti["max_tries"]
        context = {
            "dag_run": {
                "dag_id": run["dag_id"], "run_id": run["run_id"], "logical_date": api(run["logical_date"]),
                "data_interval_start": api(run["data_interval_start"]),
                "data_interval_end": api(run["data_interval_end"]), "run_after": api(run["run_after"]),
                "start_date": api(run["start_date"]), "end_date": api(run["end_date"]),
                "clear_number": run["clear_number"], "run_type": run["run_type"],
                "conf": json.loads(run["conf"]) if run["conf"] else None, "consumed_asset_events": [],
            },
            "task_reschedule_count": 0,
            "max_tries": max_tries,
            "variables": [],
            "connections": [],
            "xcom_keys_to_clear": [],
            "should_retry": previous == "restarting" or (max_tries != 0 and ti["try_number"] <= max_tries),
        }
        return json_response(context)
    finally:
        con.close()


_TERMINAL = ("success", "failed", "skipped", "removed", "up_for_retry")


def ti_update_state(request: Request) -> Response:
    _authenticate(request)
    ti_id = path_param("task_instance_id", request.path_params["task_instance_id"], v_uuid)
    raw = parse_json_body(request.body)
    state = raw.get("state") if isinstance(raw, dict) else None
    if state not in _TERMINAL:
        raise RequestValidationError([error(
            "union_tag_invalid", ["body"],
            "Input tag '{}' found using 'state' does not match any of the expected tags: 'failed', 'skipped', "
            "'removed', 'success', 'deferred', 'up_for_reschedule', 'up_for_retry'".format(state), raw,
            {"discriminator": "'state'", "tag": str(state),
             "expected_tags": "'failed', 'skipped', 'removed', 'success', 'deferred', 'up_for_reschedule', "
                              "'up_for_retry'"})])
    fields = {"state": Field(v_literal(state), required=True), "end_date": Field(v_utc_datetime, required=True),
              "rendered_map_index": Field(nullable(v_str))}
    if state == "success":
        fields.update({"task_outlets": Field(lambda v: v, default_factory=list),
                       "outlet_events": Field(lambda v: v, default_factory=list)})
    payload = validate_model(raw, fields, ["body", state])
    con = db.connect()
    try:
        with db.write(con):
            ti = con.execute("SELECT * FROM task_instance WHERE id = ?", (ti_id,)).fetchone()
            if ti is None:
                raise _not_found()
            if ti["state"] != "running":
                raise HTTPException(409, {
                    "reason": "invalid_state",
                    "message": "TI was not in the running state so it cannot be updated",
                    "previous_state": ti["state"],
                })
            end = payload["end_date"]
            start = from_db(ti["start_date"])
            duration = (end - start).total_seconds() if start else None
            con.execute("UPDATE task_instance SET state = ?, end_date = ?, duration = ?, updated_at = ?"
                        " WHERE id = ?", (state, to_db(end), duration, to_db(utcnow()), ti_id))
        return Response(204, b"", None)
    finally:
        con.close()


def ti_heartbeat(request: Request) -> Response:
    _authenticate(request)
    ti_id = path_param("task_instance_id", request.path_params["task_instance_id"], v_uuid)
    payload = validate_model(parse_json_body(request.body),
                             {"hostname": Field(v_str, required=True), "pid": Field(v_int, required=True)}, ["body"])
    con = db.connect()
    try:
        with db.write(con):
            ti = con.execute("SELECT * FROM task_instance WHERE id = ?", (ti_id,)).fetchone()
            if ti is None:
                raise _not_found()
            if ti["state"] != "running":
                raise HTTPException(409, {"reason": "not_running",
                                          "message": "TI is no longer in the running state and task should terminate",
                                          "current_state": ti["state"]})
            if (ti["hostname"], ti["pid"]) != (payload["hostname"], payload["pid"]):
                raise HTTPException(409, {"reason": "running_elsewhere", "message": "TI is already running elsewhere",
                                          "current_hostname": ti["hostname"], "current_pid": ti["pid"]})
            con.execute("UPDATE task_instance SET last_heartbeat_at = ? WHERE id = ?", (to_db(utcnow()), ti_id))
        return Response(204, b"", None)
    finally:
        con.close()


def get_connection(request: Request) -> Response:
    _authenticate(request, check_path_ti=False)
    conn_id = request.path_params["connection_id"]
    conn = lookup_connection(conn_id)
    if conn is None:
        raise HTTPException(404, {"reason": "not_found", "message": f"Connection with ID {conn_id} not found"})
    return json_response({k: conn[k] for k in ("conn_id", "conn_type", "host", "schema", "login", "password", "port",
                                                "extra")})


def lookup_connection(conn_id: str) -> dict | None:
    """secrets: EnvironmentVariablesBackend (AIRFLOW_CONN_*), then MetastoreBackend (models/connection.py
    ``get_connection_from_secrets``)."""
    import os

    from airflow_standin.secrets_file import _create_connection

    env = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if env:
        value = json.loads(env) if env.lstrip().startswith("{") else env
        return _create_connection(conn_id, value)
    con = db.connect()
    try:
        row = con.execute("SELECT * FROM connection WHERE conn_id = ?", (conn_id,)).fetchone()
    finally:
        con.close()
    return dict(row) if row is not None else None


def lookup_variable(key: str) -> str | None:
    """AIRFLOW_VAR_* (EnvironmentVariablesBackend), then the metastore (models/variable.py ``Variable.get``)."""
    import os

    env = os.environ.get(f"AIRFLOW_VAR_{key.upper()}")
    if env is not None:
        return env
    con = db.connect()
    try:
        row = con.execute("SELECT val FROM variable WHERE key = ?", (key,)).fetchone()
    finally:
        con.close()
    return row["val"] if row is not None else None


def get_variable(request: Request) -> Response:
    _authenticate(request, check_path_ti=False)
    key = request.path_params["variable_key"]
    value = lookup_variable(key)
    if value is None:
        raise HTTPException(404, {"reason": "not_found", "message": f"Variable with key '{key}' not found"})
    return json_response({"key": key, "value": value})


def register(router: Router) -> None:
    router.add("GET", "/execution/connections/{connection_id}", get_connection)
    router.add("GET", "/execution/variables/{variable_key}", get_variable)
    router.add("GET", "/execution/health", health)
    router.add("PATCH", "/execution/task-instances/{task_instance_id}/run", ti_run)
    router.add("PATCH", "/execution/task-instances/{task_instance_id}/state", ti_update_state)
    router.add("PUT", "/execution/task-instances/{task_instance_id}/heartbeat", ti_heartbeat)
