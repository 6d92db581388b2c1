"""Jobs (SchedulerJob, DagProcessorJob, TriggererJob) and their heartbeats.

Follows airflow-core/src/airflow/jobs/job.py: a row per process with ``state`` ``running``, its
``hostname`` (``get_hostname()``) and ``unixname``, and ``latest_heartbeat`` refreshed every heartrate
(``[scheduler] scheduler_heartbeat_sec`` for SchedulerJob, ``[triggerer] job_heartbeat_sec`` for
TriggererJob, ``[scheduler] job_heartbeat_sec`` otherwise). A job is alive while it is running and its
last heartbeat is younger than ``[scheduler] scheduler_health_check_threshold`` (SchedulerJob),
``[triggerer] triggerer_health_check_threshold`` (TriggererJob), or heartrate x 2.1 (DagProcessorJob in
3.0.3, which has no ``[dag_processor] health_check_threshold`` yet).
"""

from __future__ import annotations

import getpass
import socket
import sqlite3
import time

from airflow_standin import db
from airflow_standin.config import conf
from airflow_standin.timeutil import from_db, to_db, utcnow


def getfqdn(name: str = "") -> str:
    """airflow.utils.net.getfqdn, the default [core] hostname_callable (a patched socket.getfqdn)."""
    name = name.strip()
    if not name or name == "0.0.0.0":
        name = socket.gethostname()
    try:
        addrs = socket.getaddrinfo(name, None, 0, socket.SOCK_DGRAM, 0, socket.AI_CANONNAME)
    except OSError:
        pass
    else:
        for addr in addrs:
            if addr[3]:
                name = addr[3]
                break
    return name


def get_hostname() -> str:
    """airflow.utils.net.get_hostname: ``conf.getimport("core", "hostname_callable")()``, a dotted path imported with
    import_string (``module.attr``; ``module:attr`` is refused as Airflow's import_string refuses it)."""
    import importlib

    callable_path = conf().get("core", "hostname_callable") or "airflow.utils.net.getfqdn"
    if callable_path == "airflow.utils.net.getfqdn":
        return getfqdn()
    try:
        module_path, attr = callable_path.rsplit(".", 1)
        func = getattr(importlib.import_module(module_path), attr)
    except (ValueError, ImportError, AttributeError) as e:
        raise RuntimeError(f'The object could not be loaded. Please check "hostname_callable" key in "core" section. '
                           f'Current value: "{callable_path}".') from e
    return func()


def heartrate(job_type: str) -> float:
    if job_type == "TriggererJob":
        return conf().getfloat("triggerer", "job_heartbeat_sec", 5)
    if job_type == "SchedulerJob":
        return conf().getfloat("scheduler", "scheduler_heartbeat_sec", 5)
    return conf().getfloat("scheduler", "job_heartbeat_sec", 5)


def health_check_threshold(job_type: str) -> float:
    if job_type == "SchedulerJob":
        return conf().getint("scheduler", "scheduler_health_check_threshold", 30)
    if job_type == "TriggererJob":
        return conf().getfloat("triggerer", "triggerer_health_check_threshold", 30)
    return heartrate(job_type) * 2.1


def is_alive(row: sqlite3.Row | dict | None) -> bool:
    if row is None or row["latest_heartbeat"] is None:
        return False
    age = (utcnow() - from_db(row["latest_heartbeat"])).total_seconds()
    return row["state"] == "running" and age < health_check_threshold(row["job_type"])


def most_recent_job(con: sqlite3.Connection, job_type: str, hostname: str | None = None):
    """job.most_recent_job: running jobs first, then the latest heartbeat."""
    sql = "SELECT * FROM job WHERE job_type = ?"
    args: list = [job_type]
    if hostname is not None:
        sql += " AND hostname = ?"
        args.append(hostname)
    sql += " ORDER BY CASE state WHEN 'running' THEN 0 ELSE 1 END, latest_heartbeat DESC LIMIT 1"
    return con.execute(sql, args).fetchone()


class Job:
    """A running job row, heartbeating when due."""

    def __init__(self, job_type: str, executor_class: str | None = None):
        self.job_type = job_type
        self.heartrate = heartrate(job_type)
        self.con = db.connect()
        now = to_db(utcnow())
        with db.write(self.con):
            cur = self.con.execute(
                "INSERT INTO job (job_type, state, start_date, latest_heartbeat, executor_class, hostname, unixname)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?)",
                (job_type, now, now, executor_class, get_hostname(), getpass.getuser()),
            )
            self.id = cur.lastrowid
        self._last = time.monotonic()

    def heartbeat(self, only_if_necessary: bool = True) -> None:
        if only_if_necessary and time.monotonic() - self._last < self.heartrate:
            return
        try:
            with db.write(self.con):
                self.con.execute("UPDATE job SET latest_heartbeat = ? WHERE id = ?", (to_db(utcnow()), self.id))
            self._last = time.monotonic()
        except sqlite3.OperationalError as e:
            print(f"ERROR - {self.job_type} heartbeat failed with error: {e}", flush=True)

    def complete(self, state: str = "success") -> None:
        try:
            with db.write(self.con):
                self.con.execute("UPDATE job SET state = ?, end_date = ? WHERE id = ?",
                                 (state, to_db(utcnow()), self.id))
        except sqlite3.Error:
            pass
