"""``airflow scheduler`` with the CeleryExecutor, reduced to what one manual run of a DAG needs.

Follows airflow-core/src/airflow/jobs/scheduler_job_runner.py and the Celery provider's executor:
- heartbeats as ``SchedulerJob``; with ``[scheduler] enable_health_check`` serves ``GET /health`` on
  ``[scheduler] scheduler_health_check_server_host``:``..._port`` (airflow/utils/scheduler_health.py):
  200 with an empty body while this host's latest SchedulerJob is alive, ``send_error(503)`` otherwise;
- queued runs of unpaused, non-stale DAGs become ``running`` (up to ``max_active_runs``); runs of paused
  DAGs are not examined at all, so they stay queued;
- a task instance whose upstream tasks succeeded is scheduled (``try_number`` + 1), then queued if its pool exists
  and has open slots (``_executable_task_instances_to_queued``; see ``queue_scheduled``), and sent
  as the Celery task ``execute_workload`` with the ``ExecuteTask`` workload JSON (executors/workloads.py)
  to the task's queue; its token is a JWT for ``sub`` = the TI id, signed with ``[api_auth] jwt_secret``
  (base_executor ``jwt_generator``);
- the Celery states are read from the result backend with one MGET of ``celery-task-meta-<id>``
  (celery_executor_utils ``BulkStateFetcher``); SUCCESS is an executor "success" event, FAILURE/REVOKED a
  "failed" one. ``_process_executor_events``: an event for a TI that is still scheduled/queued/running
  with the same try number fails it ("Executor ... reported that the task instance ... finished with state
  failed, but the task instance's state attribute is queued. ...") through ``handle_failure`` (up for retry
  while ``try_number <= max_tries``);
- a running run ends ``failed`` when a task failed, ``success`` when all succeeded/skipped.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from airflow_standin import db
from airflow_standin.config import conf, faults
from airflow_standin.jobs import Job, get_hostname, is_alive, most_recent_job
from airflow_standin.logpaths import render_log_filename
from airflow_standin.timeutil import from_db, to_db, utcnow
from airflow_standin.tokens import generate_task_token

TERMINAL = {"success", "failed", "skipped", "upstream_failed", "removed"}
EXECUTOR_REPR = "CeleryExecutor(parallelism=32)"
TROUBLESHOOTING = "https://airflow.apache.org/docs/apache-airflow/stable/troubleshooting.html#task-state-changed-externally"


def log(level: str, msg: str) -> None:
    print(f"[{utcnow().isoformat(timespec='milliseconds')}] {{scheduler_job_runner.py}} {level} - {msg}", flush=True)


def ti_repr(ti) -> str:
    mapped = f" map_index={ti['map_index']}" if ti["map_index"] >= 0 else ""
    return f"<TaskInstance: {ti['dag_id']}.{ti['task_id']} {ti['run_id']}{mapped} [{ti['state']}]>"


# --- health check server (airflow/utils/scheduler_health.py) ---------------------------------------

class HealthServer(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            try:
                con = db.connect()
                try:
                    job = most_recent_job(con, "SchedulerJob", hostname=get_hostname())
                finally:
                    con.close()
                if job is not None and is_alive(job):
                    self.send_response(200)
                    self.end_headers()
                else:
                    self.send_error(503)
            except Exception:
                self.send_error(503)
        else:
            self.send_error(404)

    def log_message(self, format, *args):
        pass


def serve_health_check() -> HTTPServer:
    host = conf().get("scheduler", "scheduler_health_check_server_host")
    port = conf().getint("scheduler", "scheduler_health_check_server_port", 8974)
    httpd = HTTPServer((host, port), HealthServer)
    threading.Thread(target=httpd.serve_forever, name="scheduler-health", daemon=True).start()
    log("INFO", f"Serving the scheduler health check on http://{host}:{port}/health")
    return httpd


# --- the scheduler loop ------------------------------------------------------------------------------

class Scheduler:
    def __init__(self, num_runs: int = -1):
        from airflow_standin.worker.celery_app import app

        self.app = app
        self.celery_task = app.tasks["execute_workload"]
        self.num_runs = num_runs
        self.job = Job("SchedulerJob", executor_class="CeleryExecutor")
        self.con = self.job.con
        self.stop = False
        self.throttle: dict[str, float] = {}
        fault_secret = faults().get("scheduler_jwt_secret")
        self.token_secret = fault_secret or None
        if fault_secret:
            log("WARNING", "fault scheduler_jwt_secret: task tokens are signed with a secret other than "
                           "[api_auth] jwt_secret")

    # scheduling ------------------------------------------------------------------------------------
    def start_queued_runs(self, now: str) -> int:
        started = 0
        rows = self.con.execute(
            "SELECT r.id, r.dag_id, r.run_id, d.max_active_runs FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id"
            " WHERE r.state = 'queued' AND d.is_paused = 0 AND d.is_stale = 0 ORDER BY r.run_after, r.id").fetchall()
        for r in rows:
            with db.write(self.con):
                active = self.con.execute("SELECT COUNT(*) FROM dag_run WHERE dag_id = ? AND state = 'running'",
                                          (r["dag_id"],)).fetchone()[0]
                if r["max_active_runs"] is not None and active >= r["max_active_runs"]:
                    continue
                self.con.execute(
                    "UPDATE dag_run SET state = 'running', start_date = COALESCE(start_date, ?),"
                    " last_scheduling_decision = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
                    (now, now, now, r["id"]))
            started += 1
            log("INFO", f"Dag run {r['dag_id']} {r['run_id']} is running")
        return started

    def schedule_task_instances(self, now: str) -> list:
        to_send = []
        runs = self.con.execute(
            "SELECT r.*, d.tasks, d.relative_fileloc, d.bundle_name FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id"
            " WHERE r.state = 'running' AND d.is_paused = 0 AND d.is_stale = 0").fetchall()
        for run in runs:
            tasks = {t["task_id"]: t for t in json.loads(run["tasks"])}
            with db.write(self.con):
                tis = {t["task_id"]: t for t in self.con.execute(
                    "SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ?", (run["dag_id"], run["run_id"]))}
                for ti in tis.values():
                    state = ti["state"]
                    if state == "up_for_retry":
                        end = from_db(ti["end_date"]) or utcnow()
                        if (utcnow() - end).total_seconds() < ti["retry_delay"]:
                            continue
                    elif state is not None:
                        continue
                    upstream = [tis.get(u) for u in tasks.get(ti["task_id"], {}).get("upstream_task_ids", [])]
                    up_states = [u["state"] if u else None for u in upstream]
                    if any(s in ("failed", "upstream_failed") for s in up_states):
                        self.con.execute("UPDATE task_instance SET state = 'upstream_failed', end_date = ?,"
                                         " updated_at = ? WHERE id = ?", (now, now, ti["id"]))
                        continue
                    if not all(s in ("success", "skipped") for s in up_states):
                        continue
                    # DagRun.schedule_tis: the task instance becomes scheduled (try_number + 1); the pool is checked
                    # only when scheduled ones are queued (queue_scheduled).
                    self.con.execute(
                        "UPDATE task_instance SET state = 'scheduled', try_number = try_number + 1, scheduled_dttm = ?,"
                        " updated_at = ? WHERE id = ?", (now, now, ti["id"]))
                self.con.execute("UPDATE dag_run SET last_scheduling_decision = ? WHERE id = ?", (now, run["id"]))
        return self.queue_scheduled(now)

    def queue_scheduled(self, now: str) -> list:
        """scheduler_job_runner.py ``_executable_task_instances_to_queued`` (3.0.3), pools only: scheduled task instances
        of running runs, by priority weight (then the run's logical date, map index); a pool that does not exist keeps
        its tasks scheduled ("Tasks using non-existent pool '%s' will not be scheduled"); a pool's open slots are its
        slots minus the pool_slots of its queued and running task instances (and deferred ones with include_deferred,
        models/pool.py ``slots_stats``); a task that needs more than the pool's total or open slots waits."""
        to_send = []
        with db.write(self.con):
            pools = {r["pool"]: r for r in self.con.execute("SELECT * FROM slot_pool").fetchall()}
            used: dict[str, int] = {}
            for r in self.con.execute("SELECT ti.pool, ti.state, SUM(ti.pool_slots) AS n FROM task_instance ti"
                                      " WHERE ti.state IN ('queued', 'running', 'deferred') GROUP BY ti.pool, ti.state"):
                pool = pools.get(r["pool"])
                if r["state"] != "deferred" or (pool is not None and pool["include_deferred"]):
                    used[r["pool"]] = used.get(r["pool"], 0) + r["n"]
            candidates = self.con.execute(
                "SELECT ti.*, d.relative_fileloc, d.bundle_name FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND"
                " r.run_id = ti.run_id JOIN dag d ON d.dag_id = ti.dag_id WHERE ti.state = 'scheduled' AND"
                " r.state = 'running' AND d.is_paused = 0 AND d.is_stale = 0"
                " ORDER BY ti.priority_weight DESC, r.logical_date, ti.map_index").fetchall()
            for ti in candidates:
                pool = pools.get(ti["pool"])
                if pool is None:
                    self.log_throttled(f"missing-pool:{ti['pool']}", "WARNING",
                                       f"Tasks using non-existent pool '{ti['pool']}' will not be scheduled")
                    continue
                open_slots = pool["slots"] - used.get(ti["pool"], 0)
                if open_slots <= 0:
                    self.log_throttled(f"full-pool:{ti['pool']}", "INFO",
                                       f"Not scheduling since there are {open_slots} open slots in pool {ti['pool']}")
                    continue
                if ti["pool_slots"] > pool["slots"]:
                    self.log_throttled(f"too-big:{ti['id']}", "WARNING",
                                       f"Not executing {ti_repr(ti)}. Requested pool slots ({ti['pool_slots']}) are "
                                       f"greater than total pool slots: '{pool['slots']}' for pool: {ti['pool']}.")
                    continue
                if ti["pool_slots"] > open_slots:
                    self.log_throttled(f"wait:{ti['id']}", "INFO",
                                       f"Not executing {ti_repr(ti)} since it requires {ti['pool_slots']} slots but "
                                       f"there are {open_slots} open slots in the pool {ti['pool']}.")
                    continue
                used[ti["pool"]] = used.get(ti["pool"], 0) + ti["pool_slots"]
                self.con.execute(
                    "UPDATE task_instance SET state = 'queued', queued_dttm = ?, queued_by_job_id = ?,"
                    " external_executor_id = NULL, executor_event_done = 0, updated_at = ? WHERE id = ?",
                    (now, self.job.id, now, ti["id"]))
                row = self.con.execute("SELECT * FROM task_instance WHERE id = ?", (ti["id"],)).fetchone()
                to_send.append((row, ti["relative_fileloc"], ti["bundle_name"] or "dags-folder"))
        return to_send

    def log_throttled(self, key: str, level: str, msg: str) -> None:
        """Airflow logs these lines on every scheduling loop that examines the task (about once a second when
        idle, [scheduler] scheduler_idle_sleep_time); the stand-in loops every 250 ms, so it logs each at most once
        a second."""
        last = self.throttle.get(key, 0.0)
        if time.monotonic() - last >= 1.0:
            self.throttle[key] = time.monotonic()
            log(level, msg)

    def workload(self, ti, dag_rel_path: str, bundle: str = "dags-folder") -> str:
        token = generate_task_token(ti["id"], secret=self.token_secret)
        return json.dumps({
            "token": token,
            "ti": {
                "id": ti["id"], "task_id": ti["task_id"], "dag_id": ti["dag_id"], "run_id": ti["run_id"],
                "try_number": ti["try_number"], "map_index": ti["map_index"], "pool_slots": ti["pool_slots"],
                "queue": ti["queue"], "priority_weight": ti["priority_weight"],
            },
            "dag_rel_path": dag_rel_path,
            "bundle_info": {"name": bundle, "version": None},
            "log_path": render_log_filename(ti["dag_id"], ti["run_id"], ti["task_id"], ti["map_index"],
                                            ti["try_number"]),
            "type": "ExecuteTask",
        }, separators=(",", ":"))

    def send(self, ti, dag_rel_path: str, bundle: str = "dags-folder") -> None:
        log("INFO", f"Sending {ti_repr(ti)} to CeleryExecutor with priority {ti['priority_weight']} and queue "
                    f"{ti['queue']}")
        try:
            result = self.celery_task.apply_async(args=(self.workload(ti, dag_rel_path, bundle),), queue=ti["queue"])
        except Exception as e:
            log("ERROR", f"Error sending Celery task: {e}")
            self.process_event(ti["id"], "failed")
            return
        with db.write(self.con):
            self.con.execute("UPDATE task_instance SET external_executor_id = ? WHERE id = ?", (result.id, ti["id"]))

    # executor events -------------------------------------------------------------------------------
    def sync_executor(self) -> int:
        rows = self.con.execute(
            "SELECT id, external_executor_id FROM task_instance WHERE queued_by_job_id = ? AND"
            " external_executor_id IS NOT NULL AND executor_event_done = 0", (self.job.id,)).fetchall()
        if not rows:
            return 0
        backend = self.app.backend
        keys = [backend.get_key_for_task(r["external_executor_id"]) for r in rows]
        try:
            values = backend.mget(keys)
        except Exception as e:
            log("ERROR", f"Error fetching Celery task state: {e}")
            return 0
        events = 0
        for row, value in zip(rows, values):
            if not value:
                continue
            meta = json.loads(value)
            status = meta.get("status")
            if status == "SUCCESS":
                self.process_event(row["id"], "success")
                events += 1
            elif status in ("FAILURE", "REVOKED"):
                result = meta.get("result") or {}
                if isinstance(result, dict) and "exc_type" in result:
                    log("ERROR", f"Celery task {row['external_executor_id']} failed: {result['exc_type']}: "
                                 f"{' '.join(map(str, result.get('exc_message') or []))}")
                self.process_event(row["id"], "failed")
                events += 1
        return events

    def process_event(self, ti_id: str, state: str) -> None:
        now = utcnow()
        with db.write(self.con):
            ti = self.con.execute("SELECT * FROM task_instance WHERE id = ?", (ti_id,)).fetchone()
            self.con.execute("UPDATE task_instance SET executor_event_done = 1 WHERE id = ?", (ti_id,))
            if ti is None:
                return
            log("INFO", f"Received executor event with state {state} for task instance {ti_repr(ti)}")
            if ti["state"] not in ("scheduled", "queued", "running"):
                return
            msg = (f"Executor {EXECUTOR_REPR} reported that the task instance {ti_repr(ti)} finished with state "
                   f"{state}, but the task instance's state attribute is {ti['state']}. Learn more: {TROUBLESHOOTING}")
            log("ERROR", msg)
            self.con.execute("INSERT INTO log (dttm, event, dag_id, task_id, run_id, try_number, extra)"
                             " VALUES (?, 'state mismatch', ?, ?, ?, ?, ?)",
                             (to_db(now), ti["dag_id"], ti["task_id"], ti["run_id"], ti["try_number"], msg))
            new_state = "up_for_retry" if ti["try_number"] <= ti["max_tries"] else "failed"
            start = from_db(ti["start_date"])
            duration = (now - start).total_seconds() if start else None
            self.con.execute("UPDATE task_instance SET state = ?, end_date = ?, duration = ?, updated_at = ?"
                             " WHERE id = ?", (new_state, to_db(now), duration, to_db(now), ti_id))

    # run states ------------------------------------------------------------------------------------
    def update_run_states(self, now: str) -> None:
        for run in self.con.execute("SELECT * FROM dag_run WHERE state = 'running'").fetchall():
            states = [r[0] for r in self.con.execute(
                "SELECT state FROM task_instance WHERE dag_id = ? AND run_id = ?", (run["dag_id"], run["run_id"]))]
            if any(s not in TERMINAL for s in states):
                continue
            final = "failed" if any(s in ("failed", "upstream_failed") for s in states) else "success"
            with db.write(self.con):
                self.con.execute("UPDATE dag_run SET state = ?, end_date = ?, last_scheduling_decision = ?,"
                                 " updated_at = ? WHERE id = ? AND state = 'running'",
                                 (final, now, now, now, run["id"]))
            start = from_db(run["start_date"])
            log("INFO", f"Marking run <DagRun {run['dag_id']} @ {run['logical_date']}: {run['run_id']}, state:running> "
                        f"{'successful' if final == 'success' else 'failed'}")
            log("INFO", f"DagRun Finished: dag_id={run['dag_id']}, logical_date={run['logical_date']}, "
                        f"run_id={run['run_id']}, run_start_date={run['start_date']}, run_end_date={now}, "
                        f"run_duration={(from_db(now) - start).total_seconds() if start else None}, state={final}, "
                        f"run_type={run['run_type']}")

    def loop_once(self) -> int:
        now = to_db(utcnow())
        work = self.start_queued_runs(now)
        to_send = self.schedule_task_instances(now)
        for ti, rel, bundle in to_send:
            self.send(ti, rel, bundle)
        work += len(to_send)
        work += self.sync_executor()
        self.update_run_states(to_db(utcnow()))
        self.job.heartbeat()
        return work

    def run(self) -> None:
        log("INFO", "Starting the scheduler")
        loops = 0
        while not self.stop:
            try:
                work = self.loop_once()
            except Exception as e:  # keep the scheduler alive, as Airflow's loop does for most errors
                log("ERROR", f"Exception in the scheduler loop: {type(e).__name__}: {e}")
                work = 0
            loops += 1
            if 0 < self.num_runs <= loops:
                break
            if not work:
                time.sleep(0.25)


def run(args) -> int:
    db.check_migrations_or_exit()
    scheduler = Scheduler(num_runs=getattr(args, "num_runs", -1) or -1)

    def stop(*_):
        scheduler.stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if conf().getboolean("scheduler", "enable_health_check", fallback=False):
        serve_health_check()
    try:
        scheduler.run()
    finally:
        scheduler.job.complete()
        log("INFO", "Exited execute loop")
    return 0
