"""Fails on purpose: its second task raises, so that the Verifier's report shows a failed DAG, its task and the cause."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task


@task
def list_old_files() -> None:
    print("Found 3 files older than 30 days")


@task
def delete_old_files() -> None:
    raise PermissionError("cannot delete /archive/2024: read-only file system")


with DAG(
    dag_id="nightly_cleanup",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["sample"],
):
    list_old_files() >> delete_old_files()
