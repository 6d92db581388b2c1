"""The log server of workers and triggerers (airflow-core/src/airflow/utils/serve_logs/log_server.py).

``GET /log/<relative path>`` answers the file under ``[logging] base_log_folder`` (StaticFiles: text/plain)
when the ``Authorization`` header is a JWT (no "Bearer") signed with ``[api] secret_key`` (HS512, audience
``task-instance-logs``, 30 s leeway) whose ``filename`` claim is that relative path. Otherwise 403
``{"detail": "Authorization header missing"}`` or ``{"detail": "Forbidden"}``; 404 ``{"detail": "Not Found"}``
when there is no such file.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from airflow_standin.config import conf
from airflow_standin.tokens import validate_log_token


class _Handler(BaseHTTPRequestHandler):
    server_version = "airflow-standin-serve-logs"

    def log_message(self, fmt, *args):  # quiet, as Airflow's
        pass

    def _plain(self, code: int, text: str) -> None:
        body = json.dumps({"detail": text}, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/log/"):
            return self._plain(404, "Not Found")
        filename = urllib.parse.unquote(path[len("/log/"):])
        token = self.headers.get("Authorization")
        if token is None:
            return self._plain(403, "Authorization header missing")
        try:
            claims = validate_log_token(token)
        except Exception:
            return self._plain(403, "Forbidden")
        if claims.get("filename") != filename:
            return self._plain(403, "Forbidden")
        base = os.path.realpath(conf().base_log_folder())
        full = os.path.realpath(os.path.join(base, filename))
        if not full.startswith(base + os.sep) or not os.path.isfile(full):
            return self._plain(404, "Not Found")
        with open(full, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start(port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"serve-logs-{port}", daemon=True).start()
    return server


def serve_forever(port: int, host: str = "0.0.0.0") -> None:
    """For a separate process (the worker runs it as Airflow does, in a multiprocessing.Process)."""
    _set_parent_death_signal()
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


def serve_worker_logs() -> None:
    """serve_logs() with no port (airflow-core/src/airflow/utils/serve_logs.py): ``[logging] worker_log_server_port``."""
    serve_forever(conf().getint("logging", "worker_log_server_port", 8793))


def _set_parent_death_signal() -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass
