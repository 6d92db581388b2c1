"""The DAG the Verifier runs: one task on a Celery worker, its output in the task log."""

from __future__ import annotations

import os
from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def say_hello() -> None:
    print("Hello from a Celery worker via Dragonfly!")


with DAG(
    dag_id="hello_dragonfly",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["airflowaspire"],
) as dag:
    # The AppHost's Airflow:VerificationQueue (a remote worker's queue proves that worker); else [operators] default_queue.
    queue = os.environ.get("AIRFLOW_ASPIRE_VERIFICATION_QUEUE")
    PythonOperator(task_id="first_task", python_callable=say_hello, **({"queue": queue} if queue else {}))
