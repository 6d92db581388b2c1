"""Stand-in of the ``airflow`` distribution for DAG files run by the AirflowAspire test double.

Not Apache Airflow: only what the repository's DAGs import (see tests/AirflowStandIn/README.md).
"""

__version__ = "3.0.3"
