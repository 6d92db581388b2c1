"""Reading a task's log for the REST API (airflow-core/src/airflow/utils/log/file_task_handler.py).

The local file ``[logging] base_log_folder``/``log_filename_template`` is read first (its path is the
source); without it, the worker's log server ``http://{ti.hostname}:{[logging] worker_log_server_port}
/log/{path}`` is asked with a JWT signed with ``[api] secret_key``. The answer starts with the
``::group::Log message source details`` message (``sources``) and ``::endgroup::``, then the log records,
interleaved by timestamp; lines that are not JSON become ``{"event": line}``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from airflow_standin.config import conf
from airflow_standin.logpaths import local_log_path, render_log_filename
from airflow_standin.timeutil import api
from airflow_standin.tokens import generate_log_token


def _parse_lines(text: str) -> list[dict]:
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
    # _interleave_logs: ordered by timestamp (records without one keep their place at the start)
    floor = datetime.min.replace(tzinfo=timezone.utc)
    out.sort(key=lambda item: (item[0] or floor, item[1]))
    return [record for _, _, record in out]


def _read_served(ti, rel: str) -> tuple[list[str], list[dict]]:
    port = conf().get("logging", "worker_log_server_port")
    url = f"http://{ti['hostname'] or ''}:{port}/log/{urllib.parse.quote(rel)}"
    if not ti["hostname"]:
        return [f"Could not read served logs: Invalid URL '{url}': No host supplied"], []
    req = urllib.request.Request(url, headers={"Authorization": generate_log_token(rel)})
    try:
        with urllib.request.urlopen(req, timeout=conf().getfloat("api", "log_fetch_timeout_sec", 5)) as resp:
            return [url], _parse_lines(resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as e:
        return [f"Could not read served logs: {e.code} {e.reason} for url: {url}"], []
    except Exception as e:
        return [f"Could not read served logs: {e}"], []


def read_task_log(ti, try_number: int) -> list[dict]:
    rel = render_log_filename(ti["dag_id"], ti["run_id"], ti["task_id"], ti["map_index"], try_number)
    path = local_log_path(rel)
    sources: list[str] = []
    records: list[dict] = []
    if os.path.isfile(path):
        sources.append(path)
        with open(path, encoding="utf-8", errors="replace") as f:
            records = _parse_lines(f.read())
    elif ti["state"] in ("running", "deferred", "success", "failed", "skipped", "upstream_failed", "up_for_retry",
                         "up_for_reschedule", "removed") or try_number < ti["try_number"]:
        sources, records = _read_served(ti, rel)
    header = [{"event": "::group::Log message source details", "sources": sources}, {"event": "::endgroup::"}]
    return header + records
