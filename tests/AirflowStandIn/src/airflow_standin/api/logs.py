"""Reading a task's log for the REST API (airflow-core/src/airflow/utils/log/file_task_handler.py).

As FileTaskHandler._read in 3.0.3: the local file ``[logging] base_log_folder``/``log_filename_template`` is read
when it exists (its path is a source); while the task instance is running or deferred the worker's log server is
asked too, and after it ends only when there is no local file (``_read_from_logs_server``). The server's URL is
``http://{ti.hostname}:{conf.get("logging", "worker_log_server_port")}/log/{path}`` (``_get_log_retrieval_url``: the
port is used as the string it is configured as, so a value that is not a number makes an URL requests cannot parse),
asked with a JWT signed with ``[api] secret_key``. A failure becomes the source "Could not read served logs: ..." and a
logged traceback (``logger.exception``), never an error answer. The answer starts with the
``::group::Log message source details`` message (``sources``) and ``::endgroup::``, then the log records of every
source, interleaved by timestamp and consecutive duplicates dropped (``_interleave_logs``); lines that are not JSON
become ``{"event": line}``.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from airflow_standin.config import conf
from airflow_standin.logpaths import local_log_path, render_log_filename
from airflow_standin.timeutil import api
from airflow_standin.tokens import generate_log_token

logger = logging.getLogger("airflow.utils.log.file_task_handler")


def _parse_lines(text: str) -> list[tuple]:
    out = []
    for idx, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or "event" not in record:
                raise ValueError
        except ValueError:
            out.append((None, idx, {"event": line}))
            continue
        ts = record.get("timestamp")
        parsed_ts = None
        if isinstance(ts, str):
            try:
                parsed_ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
                if parsed_ts.tzinfo is None:
                    parsed_ts = parsed_ts.replace(tzinfo=timezone.utc)
                record["timestamp"] = api(parsed_ts)
            except ValueError:
                record.pop("timestamp")
        elif ts is not None:
            record.pop("timestamp")
        record["event"] = str(record["event"])
        out.append((parsed_ts, idx, record))
    return out


def _interleave(*logs: list[tuple]) -> list[dict]:
    """_interleave_logs: every source's records by timestamp (those without one first), consecutive duplicates dropped."""
    floor = datetime.min.replace(tzinfo=timezone.utc)
    out, last = [], None
    for ts, _, record in sorted((r for log in logs for r in log), key=lambda item: (item[0] or floor, item[1])):
        if record != last or not ts:
            out.append(record)
        last = record
    return out


class InvalidURL(ValueError):
    """requests.exceptions.InvalidURL, as requests raises it for an URL urllib3 cannot parse."""


def _read_served(ti, rel: str) -> tuple[list[str], list[tuple]]:
    port = conf().get("logging", "worker_log_server_port")
    url = f"http://{ti['hostname'] or ''}:{port}/log/{urllib.parse.quote(rel)}"
    try:
        if not ti["hostname"]:
            raise InvalidURL(f"Invalid URL '{url}': No host supplied")
        if not str(port).isdigit():
            raise InvalidURL(f"Failed to parse: {url}")
        req = urllib.request.Request(url, headers={"Authorization": generate_log_token(rel)})
        with urllib.request.urlopen(req, timeout=conf().getfloat("api", "log_fetch_timeout_sec", 5)) as resp:
            return [url], _parse_lines(resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as e:
        if e.code == 403:
            return ["!!!! Please make sure that all your Airflow components (e.g. schedulers, webservers, workers and "
                    "triggerer) have the same 'secret_key' configured in 'webserver' section and time is synchronized "
                    "on all your machines (for example with ntpd)"], []
        logger.exception("Could not read served logs")
        return [f"Could not read served logs: {e.code} {e.reason} for url: {url}"], []
    except Exception as e:
        logger.exception("Could not read served logs")
        return [f"Could not read served logs: {e}"], []


_UNFINISHED = ("scheduled", "queued", "running", "restarting", "up_for_retry", "up_for_reschedule", "deferred", None)


def read_task_log(ti, try_number: int) -> list[dict]:
    rel = render_log_filename(ti["dag_id"], ti["run_id"], ti["task_id"], ti["map_index"], try_number)
    path = local_log_path(rel)
    sources: list[str] = []
    local: list[tuple] = []
    served: list[tuple] = []
    if os.path.isfile(path):
        sources.append(path)
        with open(path, encoding="utf-8", errors="replace") as f:
            local = _parse_lines(f.read())
    if ti["state"] in ("running", "deferred") or (ti["state"] not in _UNFINISHED and not local):
        served_sources, served = _read_served(ti, rel)
        sources.extend(served_sources)
    header = [{"event": "::group::Log message source details", "sources": sources}, {"event": "::endgroup::"}]
    return header + _interleave(local, served)
