"""``airflow triggerer``: heartbeats as a TriggererJob, serves logs, and forks its TriggerRunner; runs no triggers.

airflow-core/src/airflow/cli/commands/triggerer_command.py: serve_logs on ``[logging]
trigger_log_server_port`` unless ``--skip-serve-logs``; the job heartbeats every ``[triggerer]
job_heartbeat_sec``. airflow-core/src/airflow/jobs/triggerer_job_runner.py: ``TriggerRunnerSupervisor.start``
forks the ``TriggerRunner`` (a ``WatchedSubprocess``, forking.py), which lives as long as the triggerer: a child
forked after the triggerer's telemetry started. Deferrable operators are not simulated.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from airflow_standin import db, forking, otel, serve_logs
from airflow_standin.config import conf, faults
from airflow_standin.jobs import Job


def _trigger_runner(triggerer: int) -> int:
    """The TriggerRunner child: runs no triggers; ends with the triggerer."""
    serve_logs._set_parent_death_signal()
    while os.getppid() == triggerer:
        time.sleep(0.5)
    return 0


def _fork_runner() -> int:
    triggerer = os.getpid()
    pid = forking.start(lambda: _trigger_runner(triggerer))
    print(f"Started the trigger runner (pid {pid})", flush=True)
    return pid


def run(args) -> int:
    db.check_migrations_or_exit()
    if not args.skip_serve_logs:
        port = conf().getint("logging", "trigger_log_server_port", 8794)
        serve_logs.start(port)
        print(f"Serving triggerer logs on port {port}", flush=True)
    job = Job("TriggererJob")
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    print(f"Starting the triggerer (stand-in: no triggers are run); capacity={args.capacity or 1000}", flush=True)
    # Airflow forks the runner as the triggerer starts. With the fault forks_after_first_export (N, or true for 1), the
    # triggerer forks it, and N - 1 more children like it, after its first accepted export instead, and they all export
    # on the clock's interval boundaries: each child inherits the exporter's open connection and exports at the same
    # instant as its parent and its siblings, every interval. On real Airflow a child forked after an export meets its
    # parent's exports by chance; this makes it happen at every export (README.md, Faults).
    in_step = faults().get("forks_after_first_export")
    exported = threading.Event()
    if in_step and otel.telemetry.metrics is not None:
        otel.telemetry.metrics.on_the_clock = True
        otel.telemetry.metrics.after_export.append(exported.set)
    runners: list[int] = [] if in_step else [_fork_runner()]
    try:
        while not stop:
            if exported.is_set() and not runners:
                runners.extend(_fork_runner() for _ in range(int(in_step)))
            job.heartbeat()
            time.sleep(0.5)
    finally:
        job.complete()
        for runner in runners:
            os.kill(runner, signal.SIGTERM)
            forking.wait(runner)
    return 0
