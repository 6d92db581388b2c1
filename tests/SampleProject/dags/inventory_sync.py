"""Passes: two tasks in order, the second in the pool from pools.json, reading the run's conf."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, get_current_context, task


@task
def count_items() -> int:
    conf = get_current_context()["dag_run"].conf or {}
    items = int(conf.get("items", 3))
    print(f"Counted {items} items")
    return items


@task(pool="inventory_pool")
def sync_items() -> None:
    print("Inventory synced")


with DAG(
    dag_id="inventory_sync",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["sample"],
):
    count_items() >> sync_items()
