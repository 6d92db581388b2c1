"""The Celery app, configured as the Celery provider's default_celery.py configures it.

providers/celery/src/airflow/providers/celery/executors/default_celery.py (``DEFAULT_CELERY_CONFIG``):
json only, ``worker_prefetch_multiplier`` 1, ``task_acks_late`` True, default queue and exchange
``[operators] default_queue``, ``task_track_started`` True, broker and result backend from ``[celery]``,
``visibility_timeout`` for redis brokers unless ``[celery_broker_transport_options]`` sets it (84600 s
in the 3.0.3-era provider, 86400 s later), remote control on, and for Airflow 3
``worker_redirect_stdouts``/``worker_hijack_root_logger`` False. The app is named
``[celery] celery_app_name``; the one task is ``execute_workload``
(celery_executor_utils.py), which hands the workload to the supervisor.
"""

from __future__ import annotations

import logging
import os
import time

from celery import Celery

from airflow_standin.config import conf

log = logging.getLogger(__name__)

VISIBILITY_TIMEOUT_3_0_3 = 84600


def celery_config() -> dict:
    c = conf()
    broker_url = c.get("celery", "broker_url")
    transport_options: dict = dict(c.getsection("celery_broker_transport_options"))
    if "visibility_timeout" in transport_options:
        transport_options["visibility_timeout"] = int(transport_options["visibility_timeout"])
    elif broker_url.startswith(("redis://", "rediss://", "sqs://", "sentinel://")):
        transport_options["visibility_timeout"] = VISIBILITY_TIMEOUT_3_0_3
    result_backend = c.get("celery", "result_backend")
    if not result_backend:
        from airflow_standin.db import masked

        # Masked: the URL carries PostgreSQL's password.
        raise SystemExit(
            "The Airflow stand-in needs [celery] result_backend (a redis:// URL); Airflow's default "
            f"db+{masked(c.get('database', 'sql_alchemy_conn'))} needs SQLAlchemy, which the stand-in does not use."
        )
    queue = c.get("operators", "default_queue")
    return {
        "accept_content": ["json"],
        "event_serializer": "json",
        "worker_prefetch_multiplier": c.getint("celery", "worker_prefetch_multiplier", 1),
        "task_acks_late": c.getboolean("celery", "task_acks_late", fallback=True),
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_track_started": c.getboolean("celery", "task_track_started", fallback=True),
        "broker_url": broker_url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": c.getboolean("celery", "broker_connection_retry_on_startup",
                                                           fallback=True),
        "result_backend": result_backend,
        "worker_concurrency": c.getint("celery", "worker_concurrency", 16),
        "worker_enable_remote_control": c.getboolean("celery", "worker_enable_remote_control", fallback=True),
        "worker_redirect_stdouts": False,
        "worker_hijack_root_logger": False,
    }


app = Celery(conf().get("celery", "celery_app_name"), config_source=celery_config())


@app.task(name="execute_workload")
def execute_workload(input: str) -> None:
    from airflow_standin.worker.supervisor import execute_workload_json

    if os.environ.get("AIRFLOW_STANDIN_DISPATCH_BROKEN"):
        # apache/airflow#59707: the message is taken, and the task never runs (its task instance stays queued).
        while True:
            time.sleep(60)
    execute_workload_json(input, app.current_task.request.id)
