"""``[core] hostname_callable`` for Celery workers on other hosts.

Airflow records ``hostname_callable()`` as the task instance's hostname when a task starts
(``TIEnterRunningPayload(hostname=get_hostname())`` in the Task SDK's client, with
``airflow.utils.net.get_hostname`` reading ``conf.getimport("core", "hostname_callable")``), and the api-server
fetches a running task's log from ``http://{ti.hostname}:{[logging] worker_log_server_port}/log/...``
(``file_task_handler.py``). The default, ``airflow.utils.net.getfqdn``, gives a name the main host may not
resolve; this gives the address the AppHost found (or was told, ``Airflow:AdvertisedAddress``) that the main host
reaches this one at. The AppHost puts this folder on ``PYTHONPATH`` and the address in the environment.
"""

import os

VARIABLE = "AIRFLOW_ASPIRE_ADVERTISED_ADDRESS"


def advertised_address() -> str:
    address = os.environ.get(VARIABLE, "").strip()
    if not address:
        # A missing address must not be papered over with a name the api-server cannot reach.
        raise RuntimeError(f"{VARIABLE} is not set: start this worker from the AppHost (Airflow:Role=workers)")
    return address
