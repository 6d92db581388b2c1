"""Stand-in of ``airflow.sdk`` (Airflow 3's authoring API): DAG, task, BaseOperator, Connection, Variable,
get_current_context."""

from airflow_standin.authoring import DAG, BaseOperator, task
from airflow_standin.runtime import Connection, Variable, get_current_context

__all__ = ["DAG", "BaseOperator", "Connection", "Variable", "get_current_context", "task"]
