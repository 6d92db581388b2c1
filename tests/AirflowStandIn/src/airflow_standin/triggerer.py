"""``airflow triggerer``: heartbeats as a TriggererJob and serves logs; runs no triggers.

airflow-core/src/airflow/cli/commands/triggerer_command.py: serve_logs on ``[logging]
trigger_log_server_port`` unless ``--skip-serve-logs``; the job heartbeats every ``[triggerer]
job_heartbeat_sec``. Deferrable operators are not simulated.
"""

from __future__ import annotations

import signal
import time

from airflow_standin import db, serve_logs
from airflow_standin.config import conf
from airflow_standin.jobs import Job


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
    try:
        while not stop:
            job.heartbeat()
            time.sleep(0.5)
    finally:
        job.complete()
    return 0
