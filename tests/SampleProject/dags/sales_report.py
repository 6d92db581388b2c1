"""Passes: reads a Variable and a Connection imported by the AppHost, a helper from the plugins folder and PyYAML,
the project's one requirement (requirements.txt)."""

from __future__ import annotations

from datetime import datetime

import yaml
from airflow.sdk import DAG, Connection, Variable, task
from sales_helpers import format_total  # plugins/sales_helpers.py: the plugins folder is on sys.path

REPORT = """
columns: [region, total]
"""


@task
def build_report() -> str:
    region = Variable.get("sales_region")
    warehouse = Connection.get("sales_warehouse")
    columns = yaml.safe_load(REPORT)["columns"]
    line = f"{columns}: {region} {format_total(1234.5)} from {warehouse.host}:{warehouse.port}/{warehouse.schema}"
    print(f"Sales report ready: {line}")
    return line


with DAG(
    dag_id="sales_report",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["sample"],
):
    build_report()
