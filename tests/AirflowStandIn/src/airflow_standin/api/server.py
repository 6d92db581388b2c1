"""``airflow api-server``: the REST API v2, the simple auth manager's routes and the Task Execution API.

One ThreadingHTTPServer (HTTP/1.1, keep-alive) on ``--host``/``--port`` (defaults ``[api] host``/``port``),
whatever ``--workers`` says. Before serving, the simple auth manager's ``init()`` completes the passwords
file, as the real api-server does at start.
"""

from __future__ import annotations

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from airflow_standin import db
from airflow_standin.api import auth, core_routes, execution_routes
from airflow_standin.api.http import Request, Router, dispatch, json_response
from airflow_standin.timeutil import utcnow


def build_router() -> Router:
    router = Router()
    router.add("POST", "/auth/token", auth.post_token)
    router.add("GET", "/auth/token", auth.get_token_all_admins)
    router.add("POST", "/auth/token/cli", auth.post_token_cli)
    core_routes.register(router)
    execution_routes.register(router)
    return router


ROUTER = build_router()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "uvicorn"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stdout.write(f"[{utcnow().isoformat(timespec='milliseconds')}] INFO: {self.client_address[0]} - "
                         f"\"{self.command} {self.path} {self.request_version}\" {args[1] if len(args) > 1 else ''}\n")
        sys.stdout.flush()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        try:
            body = self._read_body()
            request = Request(self.command, self.path, self.headers, body)
            try:
                response = dispatch(ROUTER, request)
            except Exception as e:  # FastAPI: unhandled errors are 500 "Internal Server Error"
                print(f"ERROR - {self.command} {self.path}: {type(e).__name__}: {e}", flush=True)
                import traceback

                traceback.print_exc()
                response = json_response({"detail": "Internal Server Error"}, 500)
                response.content_type = "text/plain; charset=utf-8"
                response.body = b"Internal Server Error"
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            for k, v in response.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle


def run(args) -> int:
    db.check_migrations_or_exit()
    auth.init()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Running the Airflow API server (stand-in) on http://{args.host}:{args.port} "
          f"(--workers {args.workers} ignored: one process, many threads)", flush=True)
    print(f"INFO:     Uvicorn running on http://{args.host}:{args.port} (Press CTRL+C to quit)", flush=True)
    server.serve_forever()
    server.server_close()
    return 0
