"""Stand-in of ``airflow.providers.celery.executors.celery_executor``: the Celery ``app``.

So that ``celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d NODE``
works as in Airflow's docker-compose.
"""

from airflow_standin.worker.celery_app import app

__all__ = ["app"]
