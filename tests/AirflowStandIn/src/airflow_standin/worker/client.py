"""The Task Execution API client, as task-sdk/src/airflow/sdk/api/client.py behaves.

- Every request goes through a retry layer (tenacity): ``retry_if_exception(_should_retry_api_request)``
  (an ``httpx.RequestError`` such as ``ConnectError``, or a 5xx), ``stop_after_attempt([workers]
  execution_api_retries)`` (5), ``wait_random_exponential(min=[workers] execution_api_retry_wait_min,
  max=[workers] execution_api_retry_wait_max)`` (1 s, 90 s), ``reraise=True``: the waits are
  uniform(min, min(max(min, 2**(n-1)), max)), so with the defaults 4 waits of 1, 1–2, 1–4, 1–8 s
  (4–15 s, about 9.5 s on average) before the last error is raised.
- Responses go through ``raise_on_4xx_5xx``: ``ServerResponseError.from_response`` for JSON errors
  (message = the ``detail`` string), else httpx's ``HTTPStatusError``.
- A ``Refreshed-API-Token`` header replaces the token.
The transport is urllib; connection failures are reported with httpx's exception names.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from airflow.sdk.api.client import ServerResponseError
from airflow_standin.config import conf
from airflow_standin.worker.httperrors import (
    ConnectError,
    ConnectTimeout,
    HTTPStatusError,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
)

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            410: "Gone", 422: "Unprocessable Entity", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable"}


class Request:
    def __init__(self, method: str, url: str):
        self.method = method
        self.url = url


class Response:
    def __init__(self, status_code: int, headers: dict[str, str], content: bytes, request: Request):
        self.status_code = status_code
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.content = content
        self.request = request

    def json(self) -> Any:
        return json.loads(self.content)


def _should_retry(exc: BaseException) -> bool:
    if isinstance(exc, HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, RequestError)


def raise_on_4xx_5xx(response: Response) -> None:
    if response.status_code < 400:
        return
    if err := ServerResponseError.from_response(response):
        raise err
    kind = "Client error" if response.status_code < 500 else "Server error"
    reason = _REASONS.get(response.status_code, "")
    raise HTTPStatusError(
        f"{kind} '{response.status_code} {reason}' for url '{response.request.url}'\n"
        f"For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/{response.status_code}",
        request=response.request, response=response)


class Client:
    def __init__(self, base_url: str, token: str, log=print):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.token = token
        self.log = log
        c = conf()
        self.retries = max(1, c.getint("workers", "execution_api_retries", 5))
        self.wait_min = c.getfloat("workers", "execution_api_retry_wait_min", 1.0)
        self.wait_max = c.getfloat("workers", "execution_api_retry_wait_max", 90.0)
        self.timeout = 5.0  # httpx's default timeout

    def _send(self, method: str, path: str, body: Any | None) -> Response:
        url = self.base_url + path.lstrip("/")
        req = Request(method, url)
        data = None if body is None else json.dumps(body).encode()
        http_req = urllib.request.Request(url, data=data, method=method)
        http_req.add_header("Authorization", f"Bearer {self.token}")
        http_req.add_header("Accept", "application/json")
        if data is not None:
            http_req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(http_req, timeout=self.timeout) as resp:
                response = Response(resp.status, dict(resp.headers), resp.read(), req)
        except urllib.error.HTTPError as e:
            response = Response(e.code, dict(e.headers), e.read(), req)
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, socket.timeout):
                raise ConnectTimeout("timed out", request=req) from None
            raise ConnectError(str(reason), request=req) from None
        except socket.timeout:
            raise ReadTimeout("timed out", request=req) from None
        except (ConnectionError, OSError) as e:
            raise RemoteProtocolError(str(e), request=req) from None
        if new_token := response.headers.get("refreshed-api-token"):
            self.token = new_token
        raise_on_4xx_5xx(response)
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def request(self, method: str, path: str, body: Any | None = None) -> Response:
        attempt = 1
        while True:
            try:
                return self._send(method, path, body)
            except Exception as exc:
                if not _should_retry(exc) or attempt >= self.retries:
                    raise
                upper = max(self.wait_min, min(2 ** (attempt - 1), self.wait_max))
                wait = random.uniform(self.wait_min, upper)
                self.log(f"WARNING - Retrying airflow.sdk.api.client.Client.request in {wait:.2f} seconds as it "
                         f"raised {type(exc).__name__}: {exc}.")
                time.sleep(wait)
                attempt += 1

    # --- task_instances operations (client.py TaskInstanceOperations) ------------------------------
    def start(self, ti_id: str, pid: int, hostname: str, unixname: str, when: str) -> dict:
        body = {"state": "running", "hostname": hostname, "unixname": unixname, "pid": pid, "start_date": when}
        return self.request("PATCH", f"task-instances/{ti_id}/run", body).json()

    def finish(self, ti_id: str, state: str, when: str) -> None:
        body: dict[str, Any] = {"state": state, "end_date": when}
        if state == "success":
            body.update({"task_outlets": [], "outlet_events": []})
        elif state != "up_for_retry":
            body["rendered_map_index"] = None
        self.request("PATCH", f"task-instances/{ti_id}/state", body)

    def heartbeat(self, ti_id: str, pid: int, hostname: str) -> None:
        self.request("PUT", f"task-instances/{ti_id}/heartbeat", {"hostname": hostname, "pid": pid})
