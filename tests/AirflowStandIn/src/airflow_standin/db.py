"""The metadata database: one SQLite file shared by every process (WAL, busy timeout).

On PostgreSQL (``postgresql+psycopg2://`` URLs, with Debian's python3-psycopg2) only ``airflow db migrate`` and
``airflow db check-migrations`` work: the migration connects, writes the head revision to ``alembic_version`` and
names the server; every other process refuses the URL, as before, since its queries are SQLite's.

The schema's version is Alembic's, as Airflow keeps it: one row in ``alembic_version`` (``version_num``), the head of the
migration scripts (airflow_standin/migrations.py). ``airflow db migrate`` writes it; every process compares it with the
scripts' heads at its start, as ``check_and_run_migrations`` does.

The schema is the stand-in's own, not Airflow's; it holds what the REST API, the scheduler and the
Task Execution API need. ``airflow db migrate`` creates it; every other process refuses to start on an
unmigrated database with the message of airflow-core/src/airflow/utils/db.py
(``check_and_run_migrations``, reached through ``cli_utils.action_cli(check_db=True)``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys

from airflow_standin import AIRFLOW_VERSION, migrations
from airflow_standin.config import conf


SCHEMA = """
-- Alembic's version table (migrations/env.py: version_table = "alembic_version").
CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dag_id TEXT, state TEXT, job_type TEXT,
    start_date TEXT, end_date TEXT, latest_heartbeat TEXT,
    executor_class TEXT, hostname TEXT, unixname TEXT
);
CREATE INDEX IF NOT EXISTS job_type_heart ON job (job_type, latest_heartbeat);
CREATE TABLE IF NOT EXISTS dag (
    dag_id TEXT PRIMARY KEY,
    is_paused INTEGER NOT NULL, is_stale INTEGER NOT NULL DEFAULT 0,
    fileloc TEXT NOT NULL, relative_fileloc TEXT, bundle_name TEXT, bundle_version TEXT,
    last_parsed_time TEXT, last_expired TEXT, description TEXT,
    timetable_summary TEXT, timetable_description TEXT,
    tags TEXT NOT NULL DEFAULT '[]', owners TEXT NOT NULL DEFAULT '[]',
    max_active_tasks INTEGER NOT NULL, max_active_runs INTEGER,
    max_consecutive_failed_dag_runs INTEGER NOT NULL,
    has_task_concurrency_limits INTEGER NOT NULL DEFAULT 0,
    has_import_errors INTEGER NOT NULL DEFAULT 0,
    tasks TEXT NOT NULL DEFAULT '[]', dag_hash TEXT
);
CREATE TABLE IF NOT EXISTS dag_version (
    id TEXT PRIMARY KEY, dag_id TEXT NOT NULL, version_number INTEGER NOT NULL,
    bundle_name TEXT, bundle_version TEXT, created_at TEXT NOT NULL, dag_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dag_run (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dag_id TEXT NOT NULL, run_id TEXT NOT NULL, state TEXT NOT NULL, run_type TEXT NOT NULL,
    logical_date TEXT, data_interval_start TEXT, data_interval_end TEXT, run_after TEXT NOT NULL,
    queued_at TEXT, start_date TEXT, end_date TEXT, last_scheduling_decision TEXT,
    triggered_by TEXT, triggering_user_name TEXT, conf TEXT, note TEXT,
    bundle_version TEXT, dag_version_id TEXT, clear_number INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT,
    UNIQUE (dag_id, run_id), UNIQUE (dag_id, logical_date)
);
CREATE TABLE IF NOT EXISTS task_instance (
    id TEXT PRIMARY KEY,
    dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, map_index INTEGER NOT NULL DEFAULT -1,
    try_number INTEGER NOT NULL DEFAULT 0, max_tries INTEGER NOT NULL DEFAULT 0, state TEXT,
    start_date TEXT, end_date TEXT, duration REAL,
    hostname TEXT, unixname TEXT, pid INTEGER,
    pool TEXT NOT NULL, pool_slots INTEGER NOT NULL, queue TEXT, priority_weight INTEGER,
    operator TEXT, queued_dttm TEXT, scheduled_dttm TEXT, queued_by_job_id INTEGER,
    executor TEXT, external_executor_id TEXT, executor_event_done INTEGER NOT NULL DEFAULT 0,
    retry_delay REAL NOT NULL DEFAULT 300, dag_version_id TEXT, last_heartbeat_at TEXT, updated_at TEXT,
    UNIQUE (dag_id, run_id, task_id, map_index)
);
CREATE TABLE IF NOT EXISTS import_error (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL, filename TEXT NOT NULL, bundle_name TEXT, stacktrace TEXT NOT NULL
);
-- models/connection.py, models/variable.py, models/pool.py (the columns the stand-in uses; the password and the
-- value are stored as given: the stand-in does not encrypt with [core] fernet_key as Airflow does)
CREATE TABLE IF NOT EXISTS connection (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conn_id TEXT NOT NULL UNIQUE, conn_type TEXT NOT NULL,
    description TEXT, host TEXT, schema TEXT, login TEXT, password TEXT, port INTEGER, extra TEXT
);
CREATE TABLE IF NOT EXISTS variable (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, val TEXT, description TEXT
);
CREATE TABLE IF NOT EXISTS slot_pool (
    id INTEGER PRIMARY KEY AUTOINCREMENT, pool TEXT NOT NULL UNIQUE, slots INTEGER NOT NULL,
    description TEXT, include_deferred INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dttm TEXT NOT NULL, event TEXT NOT NULL, dag_id TEXT, task_id TEXT, run_id TEXT,
    try_number INTEGER, extra TEXT
);
"""


class UnsupportedDatabase(SystemExit):
    pass


def sqlite_path() -> str:
    """The file of [database] sql_alchemy_conn, which must be sqlite (sqlite:////abs/path)."""
    url = conf().get("database", "sql_alchemy_conn")
    if not url.startswith("sqlite:///"):
        raise UnsupportedDatabase(
            f"The Airflow stand-in supports only a SQLite metadata database (sqlite:////abs/path), "
            f"not [database] sql_alchemy_conn={url.split('://')[0]}://..."
        )
    path = url[len("sqlite:///"):]
    return path.split("?")[0]


POSTGRES_SCHEMES = ("postgresql+psycopg2://", "postgresql://")


def postgres_url() -> str | None:
    """[database] sql_alchemy_conn when it names PostgreSQL, else None."""
    url = conf().get("database", "sql_alchemy_conn")
    return url if url.startswith(POSTGRES_SCHEMES) else None


def connect_postgres(url: str):
    """A psycopg2 connection to the SQLAlchemy URL (user, password percent-encoded as SQLAlchemy reads them)."""
    from urllib.parse import unquote, urlsplit

    try:
        import psycopg2
    except ImportError:
        raise UnsupportedDatabase(
            "[database] sql_alchemy_conn names PostgreSQL, which needs psycopg2: install Debian's python3-psycopg2"
        ) from None
    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, dbname=unquote(parts.path.lstrip("/")),
        user=unquote(parts.username or ""), password=unquote(parts.password or ""), connect_timeout=30,
    )


def masked(url: str) -> str:
    """The URL as SQLAlchemy's URL.__repr__ shows it: the password as ***."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def migrate_postgres(url: str) -> None:
    print(f"DB: {masked(url)}")
    print(f"Performing upgrade to the metadata database {masked(url)}")
    con = connect_postgres(url)
    try:
        with con, con.cursor() as cur:
            cur.execute("SHOW server_version")
            print(f"Connected to PostgreSQL {cur.fetchone()[0]}")
            cur.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            cur.execute("SELECT version_num FROM alembic_version")
            _upgrade_from({row[0] for row in cur.fetchall()})
            cur.execute("DELETE FROM alembic_version")
            for head in sorted(migrations.heads()):
                cur.execute("INSERT INTO alembic_version VALUES (%s)", (head,))
    finally:
        con.close()
    print("Database migrating done!")


def connect(create: bool = False) -> sqlite3.Connection:
    path = sqlite_path()
    if create:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    else:
        con = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30, isolation_level=None,
                              check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout = 30000")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    return con


@contextlib.contextmanager
def write(con: sqlite3.Connection):
    """A write transaction taken up front (BEGIN IMMEDIATE), so concurrent writers queue, not deadlock."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def _upgrade_from(current: set[str]) -> None:
    """Alembic's upgrade from the database's revision: one the scripts do not know stops it with its CommandError (a newer
    Airflow's database, or a downgraded install), as ``command.upgrade`` raises it through ``airflow db migrate``."""
    known = migrations.revisions()
    for revision in sorted(current):
        if revision not in known:
            print(f"alembic.util.exc.CommandError: Can't locate revision identified by '{revision}'", file=sys.stderr)
            sys.exit(1)
    if current:
        # utils/db.py upgradedb: a database with a revision is migrated (a new one is initialized, without this line).
        print("Migrating the Airflow database")


def migrate() -> None:
    url = postgres_url()
    if url is not None:
        migrate_postgres(url)
        return
    path = sqlite_path()
    print(f"DB: sqlite:///{path}")
    print("Performing upgrade to the metadata database sqlite:///" + path)
    con = connect(create=True)
    con.executescript(SCHEMA)
    with write(con):
        _upgrade_from({row[0] for row in con.execute("SELECT version_num FROM alembic_version")})
        con.execute("DELETE FROM alembic_version")
        for head in sorted(migrations.heads()):
            con.execute("INSERT INTO alembic_version VALUES (?)", (head,))
        # utils/db.py add_default_pool_if_not_exists, run by every `db migrate`: default_pool with
        # [core] default_pool_task_slot_count slots (config.yml: 128), "Default pool", include_deferred False.
        if con.execute("SELECT 1 FROM slot_pool WHERE pool = 'default_pool'").fetchone() is None:
            con.execute("INSERT INTO slot_pool (pool, slots, description, include_deferred)"
                        " VALUES ('default_pool', ?, 'Default pool', 0)",
                        (conf().getint("core", "default_pool_task_slot_count", 128),))
    con.close()
    print("Database migrating done!")


def is_migrated() -> bool:
    url = postgres_url()
    if url is not None:
        import psycopg2

        try:
            con = connect_postgres(url)
        except psycopg2.Error:
            return False
        try:
            with con.cursor() as cur:
                cur.execute("SELECT version_num FROM alembic_version")
                return {row[0] for row in cur.fetchall()} == migrations.heads()
        except psycopg2.Error:
            return False
        finally:
            con.close()
    try:
        con = connect()
    except sqlite3.OperationalError:
        return False
    try:
        return {row[0] for row in con.execute("SELECT version_num FROM alembic_version")} == migrations.heads()
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


def check_migrations_or_exit() -> None:
    """airflow.utils.db.check_and_run_migrations when stdout is not a terminal."""
    if not conf().getboolean("database", "check_migrations", fallback=True):
        return
    if is_migrated():
        return
    verb = "initialize"
    if os.path.exists(sqlite_path()):
        try:
            con = connect()
            # check_and_run_migrations: no revision in the database is "initialize", another revision "migrate".
            has_revision = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() \
                and con.execute("SELECT 1 FROM alembic_version").fetchone()
            con.close()
            verb = "migrate" if has_revision else "initialize"
        except sqlite3.Error:
            pass
    print(
        f"ERROR: You need to {verb} the database. Please run `airflow db migrate`. "
        f"Make sure the command is run using Airflow version {AIRFLOW_VERSION}.",
        file=sys.stderr,
    )
    sys.exit(1)
