"""Stand-in of task-sdk ``airflow.sdk.api.client``: the error the Task Execution API client raises.

task-sdk/src/airflow/sdk/api/client.py: ``ServerResponseError(httpx.HTTPStatusError)``, built by
``from_response`` from a 4xx/5xx JSON answer: the message is the ``detail`` string, "Remote server
returned validation error" for a list, "Server returned error" for anything else. Defined in this
module so that Celery records ``exc_module`` ``airflow.sdk.api.client`` in ``celery-task-meta-*``.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_standin.worker.httperrors import HTTPStatusError


class ServerResponseError(HTTPStatusError):
    detail: Any = None

    def __reduce__(self):
        # As Airflow's: httpx exceptions need keyword arguments, so rebuild without calling __init__.
        return Exception.__new__, (type(self),) + self.args, self.__dict__

    @classmethod
    def from_response(cls, response) -> "ServerResponseError | None":
        if 200 <= response.status_code < 400:
            return None
        if not (400 <= response.status_code < 600):
            return None
        if response.headers.get("content-type") != "application/json":
            return None
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("detail"), list):
            detail: Any = body["detail"]
            msg = "Remote server returned validation error"
        elif isinstance(body, dict) and isinstance(body.get("detail"), str):
            detail = None
            msg = body["detail"] or "Un-parseable error"
        else:
            detail = body
            msg = "Server returned error"
        self = cls(msg, request=response.request, response=response)
        self.detail = detail
        return self


__all__ = ["ServerResponseError"]
