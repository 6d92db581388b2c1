"""A test double of Apache Airflow 3's process contract (see ../../README.md).

Not Airflow: a small stand-in that follows Airflow 3.0.3's command line, configuration, REST API, Task Execution API,
JWTs, Celery messages and log layout closely enough for the AppHost and the Verifier to be tested without installing
Airflow. It plays the release its environment records (make-venv --airflow-version, read from the distributions'
metadata as in a real environment), and models the differences of newer lines that the AppHost acts on (README).
"""

import importlib.metadata


def _installed(name: str, default: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return default


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


AIRFLOW_VERSION = _installed("apache-airflow", "3.0.3")
CELERY_PROVIDER_VERSION = _installed("apache-airflow-providers-celery", "3.12.1")
# The line played, e.g. (3, 3).
LINE = _release(AIRFLOW_VERSION)[:2]
# apache/airflow#58591 (provider 3.14.0): `celery worker --celery-hostname` inspects the cluster for the name before the
# worker starts, which warms Kombu's pools before the prefork pool forks; such workers reserve tasks and never run them
# (apache/airflow#59707) until provider 3.19.0 (apache/airflow#65826).
CELERY_HOSTNAME_CHECK_BREAKS_DISPATCH = (3, 14) <= _release(CELERY_PROVIDER_VERSION)[:2] < (3, 19)
