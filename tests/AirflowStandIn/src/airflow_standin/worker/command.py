"""``airflow celery worker`` and ``airflow celery flower``.

providers/celery/src/airflow/providers/celery/cli/celery_command.py: the 3.0.3-era provider's ``worker``
is wrapped in ``cli_utils.action_cli`` (checks the database is migrated), starts ``serve_logs`` in a
separate process on ``[logging] worker_log_server_port`` unless ``--skip-serve-logs``, and runs
``celery_app.worker_main(["worker", "-O", "fair", "--queues", Q, "--concurrency", N, "--loglevel", L,
"--hostname", H, ...])``; Celery expands ``%h`` in the hostname itself.
Flower is not simulated: ``airflow celery flower`` serves one page that says so (HTTP 200).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from airflow_standin import CELERY_HOSTNAME_CHECK_BREAKS_DISPATCH, CELERY_PROVIDER_VERSION, db
from airflow_standin.config import conf


def worker(args) -> int:
    db.check_migrations_or_exit()
    from airflow_standin import serve_logs
    from airflow_standin.worker.celery_app import app

    log_level = conf().get("logging", "celery_logging_level") or conf().get("logging", "logging_level") or "INFO"
    if args.verbose:
        log_level = "DEBUG"
    options = ["worker", "-O", "fair", "--queues", args.queues, "--concurrency", str(args.concurrency),
               "--loglevel", log_level]
    if args.celery_hostname:
        options.extend(["--hostname", args.celery_hostname])
    autoscale = args.autoscale or conf().get("celery", "worker_autoscale")
    if autoscale:
        options.extend(["--autoscale", autoscale])
    if args.without_mingle:
        options.append("--without-mingle")
    if args.without_gossip:
        options.append("--without-gossip")
    pool = conf().get("celery", "pool")
    if pool:
        options.extend(["--pool", pool])

    if args.celery_hostname and CELERY_HOSTNAME_CHECK_BREAKS_DISPATCH:
        # Provider 3.14.0 to 3.18.x: the duplicate-hostname check (apache/airflow#58591) inspects the cluster before the worker
        # starts, which leaves Kombu's pools warm in the forked pool processes: tasks are reserved and never run (#59707).
        print(f"Checking that no other Celery worker is named {args.celery_hostname} (apache-airflow-providers-celery "
              f"{CELERY_PROVIDER_VERSION})", flush=True)
        os.environ["AIRFLOW_STANDIN_DISPATCH_BROKEN"] = "1"

    sub_proc = None
    if not args.skip_serve_logs:
        # As celery_command._serve_logs: serve_logs() reads conf.getint("logging", "WORKER_LOG_SERVER_PORT") in the
        # subprocess, so a port that is not a number kills the log server with a traceback while the worker runs on.
        sub_proc = multiprocessing.Process(target=serve_logs.serve_worker_logs, daemon=True, name="serve-logs")
        sub_proc.start()
    try:
        app.worker_main(options)
    finally:
        if sub_proc:
            sub_proc.terminate()
    return 0


class _FlowerPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (b"<!doctype html><title>Flower (not simulated)</title><h1>Flower is not simulated</h1>"
                b"<p>This is the AirflowAspire test double of Airflow 3.0.3: <code>airflow celery flower</code> "
                b"serves only this page. Use Celery's <code>inspect</code> commands against the broker instead.</p>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def _exit(*_):
    raise SystemExit(0)


def flower(args) -> int:
    server = ThreadingHTTPServer((args.hostname, args.port), _FlowerPage)
    signal.signal(signal.SIGTERM, _exit)
    print(f"Flower is not simulated by the Airflow stand-in: serving a placeholder page on "
          f"http://{args.hostname}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    return 0
