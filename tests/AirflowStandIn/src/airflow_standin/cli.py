"""The ``airflow`` command line: Airflow's own subcommand and flag names, argparse as Airflow's.

Flags from airflow-core/src/airflow/cli/cli_config.py and providers/celery/.../cli/definition.py (read
on main; a few newer flags such as ``--ssl-ca-file`` or ``--team`` are accepted too). As
``DefaultHelpParser.error``: an unknown flag or subcommand prints the help and exits 2 with
"airflow command error: <message>, see help above.". Every command first loads the configuration,
which writes ``airflow.cfg`` with fresh secrets when there is none (as Airflow does at import).
"""

from __future__ import annotations

import argparse
import sys

from airflow_standin import AIRFLOW_VERSION


class DefaultHelpParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_help()
        self.exit(2, f"\n{self.prog} command error: {message}, see help above.\n")


def _int_positive(value: str) -> int:
    try:
        v = int(value)
        if v > 0:
            return v
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"invalid positive int value: '{value}'")


def _daemon_common(p: argparse.ArgumentParser, log_file: bool = True) -> None:
    p.add_argument("--pid", nargs="?", help="PID file location")
    p.add_argument("-D", "--daemon", action="store_true", help="Daemonize instead of running in the foreground")
    p.add_argument("--stdout", help="Redirect stdout to this file")
    p.add_argument("--stderr", help="Redirect stderr to this file")
    if log_file:
        p.add_argument("-l", "--log-file", help="Location of the log file")


def build_parser(conf) -> DefaultHelpParser:
    parser = DefaultHelpParser(prog="airflow")
    sub = parser.add_subparsers(dest="subcommand", metavar="GROUP_OR_COMMAND", required=True)

    sub.add_parser("version", help="Show the version")

    dbp = sub.add_parser("db", help="Database operations")
    dbsub = dbp.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    m = dbsub.add_parser("migrate", help="Migrates the metadata database to the latest version")
    m.add_argument("-r", "--to-revision")
    m.add_argument("-n", "--to-version")
    m.add_argument("-s", "--show-sql-only", action="store_true", default=False)
    m.add_argument("--from-revision")
    m.add_argument("--from-version")
    m.add_argument("-m", "--use-migration-files", action="store_true", default=False)
    m.add_argument("-v", "--verbose", action="store_true")
    cm = dbsub.add_parser("check-migrations", help="Check if migrations have finished")
    cm.add_argument("-t", "--migration-wait-timeout", type=int, default=60)
    cm.add_argument("-v", "--verbose", action="store_true")

    # connections/variables/pools import: cli_config.py ARG_CONN_IMPORT, ARG_CONN_OVERWRITE, ARG_VAR_IMPORT,
    # ARG_VAR_ACTION_ON_EXISTING_KEY, ARG_POOL_IMPORT (3.0.3)
    conns = sub.add_parser("connections", help="Manage connections")
    consub = conns.add_subparsers(dest="connections_command", metavar="COMMAND", required=True)
    ci = consub.add_parser("import", help="Import connections from a file")
    ci.add_argument("file", help="Import connections from a file")
    ci.add_argument("--overwrite", action="store_true", required=False,
                    help="Overwrite existing entries if a conflict occurs")
    ci.add_argument("-v", "--verbose", action="store_true")
    variables = sub.add_parser("variables", help="Manage variables")
    varsub = variables.add_subparsers(dest="variables_command", metavar="COMMAND", required=True)
    vi = varsub.add_parser("import", help="Import variables")
    vi.add_argument("file", help="Import variables from JSON file")
    vi.add_argument("-a", "--action-on-existing-key", default="overwrite", choices=("overwrite", "fail", "skip"),
                    help="Action to take if we encounter a variable key that already exists.")
    vi.add_argument("-v", "--verbose", action="store_true")
    pools = sub.add_parser("pools", help="Manage pools")
    poolsub = pools.add_subparsers(dest="pools_command", metavar="COMMAND", required=True)
    pi = poolsub.add_parser("import", help="Import pools")
    pi.add_argument("file", metavar="FILEPATH", help="Import pools from JSON file")
    pi.add_argument("-v", "--verbose", action="store_true")

    api = sub.add_parser("api-server", help="Start an Airflow API server instance")
    api.add_argument("-p", "--port", type=int, default=int(conf.get("api", "port")))
    api.add_argument("-w", "--workers", type=int, default=int(conf.get("api", "workers")))
    api.add_argument("-t", "--worker-timeout", type=int, default=120)
    api.add_argument("-H", "--host", default=conf.get("api", "host"))
    _daemon_common(api, log_file=False)
    api.add_argument("--log-config")
    api.add_argument("--apps", default="all")
    api.add_argument("-l", "--log-file")
    api.add_argument("--ssl-cert", default=conf.get("api", "ssl_cert"))
    api.add_argument("--ssl-key", default=conf.get("api", "ssl_key"))
    api.add_argument("--ssl-ca-file")
    api.add_argument("--ssl-cert-reqs", choices=("none", "optional", "required"))
    api.add_argument("--ssl-ciphers")
    api.add_argument("-d", "--dev", action="store_true")
    api.add_argument("--proxy-headers", action="store_true")

    sch = sub.add_parser("scheduler", help="Start a scheduler instance")
    sch.add_argument("-n", "--num-runs", type=int, default=int(conf.get("scheduler", "num_runs") or -1))
    sch.add_argument("-i", "--only-idle", action="store_true")
    _daemon_common(sch)
    sch.add_argument("-s", "--skip-serve-logs", action="store_true", default=False)
    sch.add_argument("-v", "--verbose", action="store_true")
    sch.add_argument("-d", "--dev", action="store_true")

    trg = sub.add_parser("triggerer", help="Start a triggerer instance")
    _daemon_common(trg)
    trg.add_argument("--capacity", type=_int_positive)
    trg.add_argument("-v", "--verbose", action="store_true")
    trg.add_argument("-s", "--skip-serve-logs", action="store_true", default=False)
    trg.add_argument("-d", "--dev", action="store_true")
    trg.add_argument("--queues")
    trg.add_argument("--team-name")

    dp = sub.add_parser("dag-processor", help="Start a dag processor instance")
    _daemon_common(dp, log_file=False)
    dp.add_argument("-B", "--bundle-name", action="append", default=None)
    dp.add_argument("-n", "--num-runs", type=int, default=int(conf.get("scheduler", "num_runs") or -1))
    dp.add_argument("-l", "--log-file")
    dp.add_argument("-v", "--verbose", action="store_true")
    dp.add_argument("-d", "--dev", action="store_true")

    jobs = sub.add_parser("jobs", help="Manage jobs")
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    jc = jsub.add_parser("check", help="Checks if job(s) are still alive")
    jc.add_argument("--job-type", choices=("SchedulerJob", "TriggererJob", "DagProcessorJob"))
    jc.add_argument("--hostname", default=None)
    jc.add_argument("--local", action="store_true")
    jc.add_argument("--limit", type=int, default=1)
    jc.add_argument("--allow-multiple", action="store_true")
    jc.add_argument("-v", "--verbose", action="store_true")

    cel = sub.add_parser("celery", help="Celery components")
    csub = cel.add_subparsers(dest="celery_command", metavar="COMMAND", required=True)
    w = csub.add_parser("worker", help="Start a Celery worker node")
    w.add_argument("-q", "--queues", default=conf.get("operators", "default_queue"))
    w.add_argument("-c", "--concurrency", type=int, default=conf.getint("celery", "worker_concurrency", 16))
    w.add_argument("-H", "--celery-hostname")
    w.add_argument("-t", "--team")
    w.add_argument("--pid", nargs="?")
    w.add_argument("-D", "--daemon", action="store_true")
    w.add_argument("-u", "--umask")
    w.add_argument("--stdout")
    w.add_argument("--stderr")
    w.add_argument("-l", "--log-file")
    w.add_argument("-a", "--autoscale")
    w.add_argument("-s", "--skip-serve-logs", action="store_true", default=False)
    w.add_argument("--without-mingle", action="store_true", default=False)
    w.add_argument("--without-gossip", action="store_true", default=False)
    w.add_argument("-v", "--verbose", action="store_true")
    f = csub.add_parser("flower", help="Start a Celery Flower")
    f.add_argument("-H", "--hostname", default=conf.get("celery", "flower_host"))
    f.add_argument("-p", "--port", type=int, default=conf.getint("celery", "flower_port", 5555))
    f.add_argument("-c", "--flower-conf")
    f.add_argument("-u", "--url-prefix", default=conf.get("celery", "flower_url_prefix"))
    f.add_argument("-A", "--basic-auth", default=conf.get("celery", "flower_basic_auth"))
    f.add_argument("-a", "--broker-api")
    _daemon_common(f)
    f.add_argument("-v", "--verbose", action="store_true")
    return parser


def _jobs_check(args) -> int:
    from airflow_standin import db
    from airflow_standin.jobs import get_hostname, is_alive

    con = db.connect()
    sql, params = "SELECT * FROM job WHERE state = 'running'", []
    if args.job_type:
        sql += " AND job_type = ?"
        params.append(args.job_type)
    hostname = get_hostname() if args.local else args.hostname
    if hostname:
        sql += " AND hostname = ?"
        params.append(hostname)
    sql += " ORDER BY latest_heartbeat DESC"
    if args.limit > 0:
        sql += f" LIMIT {int(args.limit)}"
    alive = [j for j in con.execute(sql, params).fetchall() if is_alive(j)]
    if not alive:
        raise SystemExit("No alive jobs found.")
    if len(alive) > 1 and not args.allow_multiple:
        raise SystemExit(f"Found {len(alive)} alive jobs. Expected only one.")
    print("Found one alive job." if len(alive) == 1 else f"Found {len(alive)} alive jobs.")
    return 0


def _check_migrations(args) -> int:
    import time

    from airflow_standin import db

    for _ in range(max(1, args.migration_wait_timeout)):
        if db.is_migrated():
            print("DB migrations are done.")
            return 0
        time.sleep(1)
    raise SystemExit(f"There are still unapplied migrations after {args.migration_wait_timeout} seconds.")


def main(argv: list[str] | None = None) -> int:
    from airflow_standin.config import conf, standin_settings

    c = conf()
    from airflow_standin.config import prepare_syspath_for_config_and_plugins

    prepare_syspath_for_config_and_plugins()
    args = build_parser(c).parse_args(argv)
    # What importing Airflow costs each `airflow` command (about 10 s per process measured on a 2-core machine): zero unless
    # the environment was made with make-venv --import-seconds, to model real start-up times in the start benchmark.
    import_seconds = float(standin_settings().get("import_seconds", 0))
    if import_seconds > 0:
        import time

        time.sleep(import_seconds)
    if getattr(args, "daemon", False):
        raise SystemExit("The Airflow stand-in does not simulate --daemon: run the command in the foreground.")
    cmd = args.subcommand
    if cmd == "version":
        print(AIRFLOW_VERSION)
        return 0
    if cmd == "db":
        from airflow_standin import db

        if args.db_command == "migrate":
            db.migrate()
            return 0
        return _check_migrations(args)
    if cmd in ("api-server", "scheduler", "dag-processor", "triggerer", "celery"):
        # Airflow's Stats and Trace start their OTLP exporters in every long-running process.
        from airflow_standin import otel

        otel.start(c, cmd if cmd != "celery" else f"celery_{args.celery_command}")
    if cmd == "api-server":
        from airflow_standin.api.server import run

        return run(args)
    if cmd == "scheduler":
        from airflow_standin.scheduler import run

        return run(args)
    if cmd == "dag-processor":
        from airflow_standin.dag_processor import run

        return run(args)
    if cmd == "triggerer":
        from airflow_standin.triggerer import run

        return run(args)
    if cmd == "jobs":
        return _jobs_check(args)
    if cmd in ("connections", "variables", "pools"):
        from airflow_standin import objects_cli

        return {"connections": objects_cli.connections_import, "variables": objects_cli.variables_import,
                "pools": objects_cli.pools_import}[cmd](args)
    if cmd == "celery":
        from airflow_standin.worker import command

        return command.worker(args) if args.celery_command == "worker" else command.flower(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
