"""Request/response plumbing shared by the REST API, the auth routes and the Task Execution API.

Errors are FastAPI's: ``HTTPException`` -> ``{"detail": ...}`` with its status; validation errors -> 422
``{"detail": [...]}``; unknown paths -> 404 ``{"detail": "Not Found"}``; a known path with another method
-> 405 ``{"detail": "Method Not Allowed"}``. JSON is compact, as Starlette's JSONResponse writes it.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, Callable

from airflow_standin.api.validation import RequestValidationError


class HTTPException(Exception):
    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


class Request:
    def __init__(self, method: str, raw_path: str, headers, body: bytes):
        self.method = method
        split = urllib.parse.urlsplit(raw_path)
        self.path = split.path
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.path_params: dict[str, str] = {}
        self.user: dict | None = None


class Response:
    def __init__(self, status: int = 200, body: bytes = b"", content_type: str | None = "application/json",
                 headers: dict[str, str] | None = None):
        self.status, self.body, self.content_type, self.headers = status, body, content_type, headers or {}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json", headers)


Handler = Callable[[Request], Response]


class Router:
    """Path templates like ``/api/v2/dags/{dag_id}``; ``{name:path}`` matches slashes too."""

    def __init__(self):
        self.routes: list[tuple[re.Pattern, str, Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = "^"
        for part in re.split(r"(\{[^}]+\})", template):
            if part.startswith("{"):
                name, _, kind = part[1:-1].partition(":")
                pattern += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
            else:
                pattern += re.escape(part)
        self.routes.append((re.compile(pattern + "$"), method, handler))

    def resolve(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        path_matched = False
        for pattern, m, handler in self.routes:
            match = pattern.match(path)
            if match:
                path_matched = True
                if m == method:
                    return handler, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}, True
        return None, {}, path_matched


def dispatch(router: Router, request: Request) -> Response:
    handler, params, path_matched = router.resolve(request.method, request.path)
    if handler is None:
        if path_matched:
            return json_response({"detail": "Method Not Allowed"}, 405)
        return json_response({"detail": "Not Found"}, 404)
    request.path_params = params
    try:
        return handler(request)
    except HTTPException as e:
        return json_response({"detail": e.detail}, e.status, e.headers)
    except RequestValidationError as e:
        return json_response({"detail": e.errors}, 422)
