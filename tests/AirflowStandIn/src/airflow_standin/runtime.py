"""What a running task reads: ``airflow.sdk.Connection``, ``Variable`` and ``get_current_context`` (Task SDK 3.0.3).

task-sdk/src/airflow/sdk/definitions/connection.py, variable.py, execution_time/context.py (``_get_connection``,
``_get_variable``), api/client.py (``ConnectionOperations.get``, ``VariableOperations.get``), exceptions.py and
definitions/_internal/contextmanager.py:
- the worker-side secrets backend comes first (``EnvironmentVariablesBackend``: ``AIRFLOW_CONN_{ID}``,
  ``AIRFLOW_VAR_{KEY}``), then the Task Execution API (``GET /execution/connections/{id}``,
  ``GET /execution/variables/{key}``);
- a 404 is ``ErrorResponse(error=CONNECTION_NOT_FOUND, detail={"conn_id": id})`` (VARIABLE_NOT_FOUND,
  ``{"key": key}``), logged as "Connection not found"/"Variable not found", and raised in the task as
  ``AirflowRuntimeError("CONNECTION_NOT_FOUND: {'conn_id': 'x'}")``; ``Variable.get(key, default=...)`` returns the
  default instead;
- ``get_current_context()`` outside a task raises RuntimeError ("Current context was requested but no context was
  found! Are you running within an Airflow task?").
Difference: in Airflow the task process asks its supervisor (SUPERVISOR_COMMS), which calls the API; here the task
process calls the API itself with the task's token (same requests, same answers).
"""

from __future__ import annotations

import json
import os
import types
from typing import Any

_NOTSET = object()
_CURRENT_CONTEXT: list[dict[str, Any]] = []
_client = None
_log = None  # the task runner's structured logger: slog(event, level=..., logger=..., **fields)


def set_task_runtime(client, log, context: dict[str, Any]) -> None:
    global _client, _log
    _client, _log = client, log
    _CURRENT_CONTEXT.append(context)


def get_current_context() -> dict[str, Any]:
    if not _CURRENT_CONTEXT:
        raise RuntimeError(
            "Current context was requested but no context was found! Are you running within an Airflow task?")
    return _CURRENT_CONTEXT[-1]


def _error(kind: str, detail: dict) -> Exception:
    # imported here: airflow.sdk (whose package imports this module) must be importable in any order
    from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType

    return AirflowRuntimeError(types.SimpleNamespace(error=ErrorType[kind], detail=detail))


def _api_get(path: str, what: str, fields: dict) -> dict | None:
    """The JSON answer, or None on 404 (logged as the task SDK's client logs it)."""
    from airflow.sdk.api.client import ServerResponseError

    if _client is None:
        raise RuntimeError(f"{what} requested outside a running task: the stand-in has no Task Execution API client")
    try:
        return _client.request("GET", path).json()
    except ServerResponseError as e:
        if e.response.status_code == 404:
            if _log is not None:
                _log(f"{what} not found", level="error", logger="airflow.sdk.api.client", **fields,
                     detail=e.detail, status_code=404)
            return None
        raise


class Connection:
    """task-sdk definitions/connection.py: the attributes a task reads."""

    def __init__(self, conn_id: str, conn_type: str, description: str | None = None, host: str | None = None,
                 schema: str | None = None, login: str | None = None, password: str | None = None,
                 port: int | None = None, extra: str | None = None):
        self.conn_id, self.conn_type, self.description = conn_id, conn_type, description
        self.host, self.schema, self.login, self.password, self.port, self.extra = host, schema, login, password, port, extra

    @property
    def extra_dejson(self) -> dict:
        extra = {}
        if self.extra:
            try:
                extra = json.loads(self.extra)
            except json.JSONDecodeError:
                if _log is not None:
                    _log("Failed to deserialize extra property `extra`, returning empty dictionary", level="error",
                         logger="airflow.sdk.definitions.connection")
        return extra

    @classmethod
    def get(cls, conn_id: str) -> "Connection":
        env = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if env:
            from airflow_standin.secrets_file import _create_connection

            fields = _create_connection(conn_id, json.loads(env) if env.lstrip().startswith("{") else env)
            return cls(**fields)
        body = _api_get(f"connections/{conn_id}", "Connection", {"conn_id": conn_id})
        if body is None:
            raise _error("CONNECTION_NOT_FOUND", {"conn_id": conn_id})
        return cls(**{k: body.get(k) for k in ("conn_id", "conn_type", "host", "schema", "login", "password", "port",
                                               "extra")})

    def __repr__(self) -> str:
        return self.conn_id or ""


class Variable:
    """task-sdk definitions/variable.py ``Variable.get``."""

    @classmethod
    def get(cls, key: str, default: Any = _NOTSET, deserialize_json: bool = False) -> Any:
        value = os.environ.get(f"AIRFLOW_VAR_{key.upper()}")
        if value is None:
            body = _api_get(f"variables/{key}", "Variable", {"key": key})
            if body is None:
                if default is not _NOTSET:
                    return default
                raise _error("VARIABLE_NOT_FOUND", {"key": key})
            value = body.get("value")
        if deserialize_json and value is not None:
            value = json.loads(value)
        return value
