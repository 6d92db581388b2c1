"""Stand-in of ``airflow.sdk`` (Airflow 3's authoring API): DAG, task, BaseOperator."""

from airflow_standin.authoring import DAG, BaseOperator, task

__all__ = ["DAG", "BaseOperator", "task"]
