"""``airflow dag-processor``: finds DAG files, parses each in a forked child, records DAGs and import errors.

Follows Airflow 3.0.3's DagFileProcessorManager (airflow-core/src/airflow/dag_processing/manager.py):
- the ``dags-folder`` bundle is the ``[core] dags_folder``; its file list is refreshed every
  ``[dag_processor] refresh_interval`` seconds; a file is parsed when new or changed, and again every
  ``[dag_processor] min_file_process_interval`` seconds;
- with ``[core] dag_discovery_safe_mode`` (default True) only files containing both "airflow" and "dag"
  are parsed;
- a parsed DAG is created paused when ``[core] dags_are_paused_at_creation`` (or the DAG's
  ``is_paused_upon_creation``); a file that fails records an import error (``stack_trace``) and no DAG,
  and DAGs it defined before get ``has_import_errors``; DAGs no longer found are marked stale;
- the process heartbeats as a ``DagProcessorJob``.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import sys
import time

from airflow_standin import LINE, dag_parsing, db, forking, otel
from airflow_standin.config import conf
from airflow_standin.jobs import Job
from airflow_standin.timeutil import to_db, utcnow, uuid7

BUNDLE_NAME = "dags-folder"


def log(msg: str) -> None:
    print(f"[{utcnow().isoformat(timespec='milliseconds')}] {{dag_processor}} INFO - {msg}", flush=True)


def list_dag_files(folder: str) -> list[str]:
    safe_mode = conf().getboolean("core", "dag_discovery_safe_mode", fallback=True)
    files = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            if safe_mode:
                try:
                    with open(path, "rb") as f:
                        content = f.read().lower()
                except OSError:
                    continue
                if b"airflow" not in content or b"dag" not in content:
                    continue
            files.append(path)
    return files


def parsers_hang() -> bool:
    """apache/airflow#73583 (reported on 3.3.2, open): with OpenTelemetry on, the 3.3 dag-processor's parsing processes never
    finish; each is killed at dag_file_processor_timeout and no DAG is ever serialized."""
    return LINE == (3, 3) and (conf().getboolean("metrics", "otel_on") or conf().getboolean("traces", "otel_on"))


def parse_file(path: str, bundle_root: str | None = None) -> dict | None:
    """Parses the file in a forked child (DagFileProcessorProcess.start, a WatchedSubprocess: forking.py), with its bundle's
    root on sys.path (processor.py ``_parse_file_entrypoint``: files of a bundle share its util modules)."""
    timeout = conf().getfloat("dag_processor", "dag_file_processor_timeout", 50)
    depth = conf().getint("core", "dagbag_import_error_traceback_depth", 2)
    hang = parsers_hang()
    read_fd, write_fd = os.pipe()

    def child() -> int:
        os.close(read_fd)
        os.dup2(2, 1)  # the DAG file's prints go to stderr
        sys.stdout = sys.stderr
        if bundle_root is not None and bundle_root not in sys.path:
            sys.path.append(bundle_root)
        while hang:
            time.sleep(60)  # apache/airflow#73583: the parsing process never finishes
        result = dag_parsing.parse(path, depth)
        with os.fdopen(write_fd, "w") as out:
            out.write(json.dumps(result))
        return 0

    pid = forking.start(child)
    os.close(write_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while data := _read_until(pipe, deadline):
            chunks.append(data)
        if data is None:
            os.kill(pid, signal.SIGKILL)
            forking.wait(pid)
            if hang:
                log(f"Processor for {path} timed out after {timeout} s and was killed: nothing serialized "
                    "(stand-in of apache/airflow#73583, OpenTelemetry on)")
                return None
            return {"dags": [], "import_error": f"DagFileProcessor timed out after {timeout} seconds while parsing {path}"}
    code = forking.wait(pid)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"dags": [], "import_error": f"Parsing process exited with code {code}"}


def _read_until(pipe, deadline: float) -> bytes | None:
    """The next bytes from the child, b"" at its end, None once the deadline has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not select.select([pipe], [], [], remaining)[0]:
        return None
    return pipe.read(65536)


def import_error_filename(folder: str, path: str) -> str:
    """import_error.filename: on 3.0 the DagBag's key, the file's absolute path (3.0.3's processor.py passes
    bag.import_errors to collection.py _update_import_errors; seen on real 3.0.3); on later lines the path relative to the
    bundle, as they key import errors by (bundle_name, filename)."""
    return path if LINE == (3, 0) else os.path.relpath(path, folder)


def record(con, folder: str, path: str, result: dict, bundle: str = BUNDLE_NAME) -> None:
    rel = os.path.relpath(path, folder)
    error_file = import_error_filename(folder, path)
    now = to_db(utcnow())
    paused_default = conf().getboolean("core", "dags_are_paused_at_creation", fallback=True)
    with db.write(con):
        con.execute("DELETE FROM import_error WHERE filename = ? AND bundle_name = ?", (error_file, bundle))
        previous = {r["dag_id"] for r in con.execute("SELECT dag_id FROM dag WHERE fileloc = ?", (path,))}
        if result.get("import_error"):
            con.execute("INSERT INTO import_error (timestamp, filename, bundle_name, stacktrace) VALUES (?, ?, ?, ?)",
                        (now, error_file, bundle, result["import_error"]))
            con.execute("UPDATE dag SET has_import_errors = 1 WHERE fileloc = ?", (path,))
            return
        seen = set()
        for d in result["dags"]:
            seen.add(d["dag_id"])
            tasks = json.dumps(d["tasks"])
            dag_hash = hashlib.md5(json.dumps(d, sort_keys=True).encode()).hexdigest()
            existing = con.execute("SELECT dag_id FROM dag WHERE dag_id = ?", (d["dag_id"],)).fetchone()
            values = (path, rel, bundle, now, d["description"], d["timetable_summary"], d["timetable_description"],
                      json.dumps(d["tags"]), json.dumps(d["owners"]), d["max_active_tasks"], d["max_active_runs"],
                      d["max_consecutive_failed_dag_runs"], int(d["has_task_concurrency_limits"]), tasks, dag_hash)
            if existing is None:
                paused = paused_default if d.get("is_paused_upon_creation") is None else bool(d["is_paused_upon_creation"])
                con.execute(
                    "INSERT INTO dag (fileloc, relative_fileloc, bundle_name, last_parsed_time, description,"
                    " timetable_summary, timetable_description, tags, owners, max_active_tasks, max_active_runs,"
                    " max_consecutive_failed_dag_runs, has_task_concurrency_limits, tasks, dag_hash, dag_id, is_paused,"
                    " is_stale, has_import_errors) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)",
                    values + (d["dag_id"], int(paused)))
                log(f"Setting next_dagrun for {d['dag_id']}; new DAG, is_paused={paused}")
            else:
                con.execute(
                    "UPDATE dag SET fileloc=?, relative_fileloc=?, bundle_name=?, last_parsed_time=?, description=?,"
                    " timetable_summary=?, timetable_description=?, tags=?, owners=?, max_active_tasks=?,"
                    " max_active_runs=?, max_consecutive_failed_dag_runs=?, has_task_concurrency_limits=?, tasks=?,"
                    " dag_hash=?, is_stale=0, has_import_errors=0 WHERE dag_id=?",
                    values + (d["dag_id"],))
            latest = con.execute("SELECT dag_hash, version_number FROM dag_version WHERE dag_id = ?"
                                 " ORDER BY version_number DESC LIMIT 1", (d["dag_id"],)).fetchone()
            if latest is None or latest["dag_hash"] != dag_hash:
                con.execute("INSERT INTO dag_version (id, dag_id, version_number, bundle_name, bundle_version,"
                            " created_at, dag_hash) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                            (uuid7(), d["dag_id"], (latest["version_number"] + 1) if latest else 1, bundle,
                             now, dag_hash))
        for gone in previous - seen:
            con.execute("UPDATE dag SET is_stale = 1 WHERE dag_id = ?", (gone,))


def mark_missing(con, folder: str, files: list[str], bundle: str = BUNDLE_NAME) -> None:
    present = set(files)
    with db.write(con):
        for row in con.execute("SELECT dag_id, fileloc FROM dag WHERE is_stale = 0 AND bundle_name = ?", (bundle,)).fetchall():
            if row["fileloc"] not in present:
                con.execute("UPDATE dag SET is_stale = 1 WHERE dag_id = ?", (row["dag_id"],))
        present_names = {import_error_filename(folder, f) for f in files}
        for row in con.execute("SELECT id, filename FROM import_error WHERE bundle_name = ?", (bundle,)).fetchall():
            if row["filename"] not in present_names:
                con.execute("DELETE FROM import_error WHERE id = ?", (row["id"],))


def run(args) -> int:
    db.check_migrations_or_exit()
    job = Job("DagProcessorJob")
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    bundles = conf().dag_bundles()
    refresh = conf().getfloat("dag_processor", "refresh_interval", 300)
    min_interval = conf().getfloat("dag_processor", "min_file_process_interval", 30)
    for name, folder in bundles:
        log(f"Processing files using up to 1 processes at a time; DAG bundle '{name}' at {folder}")
    last_parsed: dict[str, tuple[float, float]] = {}  # path -> (monotonic parse time, mtime)
    next_refresh = 0.0
    files: dict[str, list[str]] = {}  # bundle -> its DAG files
    runs = 0
    num_runs = getattr(args, "num_runs", -1) or -1
    try:
        while not stop:
            now = time.monotonic()
            if now >= next_refresh:
                # Each bundle's files, refreshed every refresh_interval (manager.py _refresh_dag_bundles).
                for name, folder in bundles:
                    files[name] = list_dag_files(folder) if os.path.isdir(folder) else []
                    mark_missing(job.con, folder, files[name], name)
                next_refresh = now + refresh
            for name, folder in bundles:
                for path in files.get(name, []):
                    try:
                        mtime = os.path.getmtime(path)
                    except OSError:
                        continue
                    parsed = last_parsed.get(path)
                    if parsed is None or parsed[1] != mtime or now - parsed[0] >= min_interval:
                        otel.dag_file_process_started(os.path.relpath(path, folder), name, folder)
                        result = parse_file(path, folder)
                        if result is None:
                            last_parsed[path] = (time.monotonic(), mtime)
                            continue
                        record(job.con, folder, path, result, name)
                        last_parsed[path] = (time.monotonic(), mtime)
                        if result.get("import_error"):
                            log(f"Failed to import: {path}")
                        else:
                            log(f"Processed {path}: {len(result['dags'])} DAG(s)")
            job.heartbeat()
            runs += 1
            if 0 < num_runs <= runs:
                break
            time.sleep(0.5)
    finally:
        job.complete()
    return 0
