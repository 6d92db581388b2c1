"""Does not import, on purpose: line 10 names a function that does not exist, so Airflow records an import error."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

# A typo the dag-processor reports as an import error for this file, with this line.
FORECAST_WEEKS = compute_forecast_weeks()


@task
def forecast() -> None:
    print(f"Forecasting {FORECAST_WEEKS} weeks")


with DAG(dag_id="weekly_forecast", schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["sample"]):
    forecast()
