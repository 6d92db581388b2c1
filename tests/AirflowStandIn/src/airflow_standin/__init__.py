"""A test double of Apache Airflow 3.0.3's process contract (see ../../README.md).

Not Airflow: a small stand-in that follows Airflow 3.0.3's command line, configuration,
REST API, Task Execution API, JWTs, Celery messages and log layout closely enough for the
AppHost and the Verifier to be tested without installing Airflow.
"""

AIRFLOW_VERSION = "3.0.3"
