"""Stand-in of ``airflow.providers.standard.operators.python``: PythonOperator."""

from airflow_standin.authoring import PythonOperator

__all__ = ["PythonOperator"]
