"""Runs `airflow db migrate`, unless Airflow's own check says the database is already at the installed Airflow's head.

Run by the AppHost as the migration resource ({name}-migrate), with the environment's own python, instead of running
`airflow db migrate` at every start: that command imports all of Airflow (5 to 10 s of a 2-core machine) before it finds,
on a database already migrated, nothing to do, and every other process waits for it.

The check is the one every Airflow process makes at its own start (utils/db.py `check_and_run_migrations`, through
`cli_utils.action_cli(check_db=True)`): the heads of the installed Airflow's migration scripts, as Alembic's
ScriptDirectory finds them (airflow/migrations/versions/*.py: the revisions no other script revises), against the
revisions in the database's `alembic_version` table. Here both are read without importing Airflow: each script's top-level
`revision` and `down_revision`, and the table through sqlite3 or psycopg2.

`airflow db migrate` on a database at head does nothing else that lasts but add the default pool when it is missing
(`add_default_pool_if_not_exists`), so a missing default pool runs it too; its other step, `synchronize_log_template`,
every process runs at its start. A database manager besides Airflow's own (`[core] auth_manager` other than the simple
auth manager, such as FAB's, or `[database] external_db_managers`) has migrations of its own: then it always runs.
Whatever cannot be read for certain runs the migration: "at head" is never a guess, and Airflow's own errors stay Airflow's.

  --always   run `airflow db migrate` whatever the check finds (Airflow:AlwaysMigrate)

Standard library only (and psycopg2 for PostgreSQL, which the environment has with Airflow's postgres extra).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import functools
import glob
import importlib.metadata
import importlib.util
import os
import re
import sys
import time
import urllib.parse

# config.yml 3.0.3 (and main): [core] auth_manager's default; it has no database manager (BaseAuthManager.get_db_manager: None).
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
IDENTIFIER = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


class MustMigrate(Exception):
    """Why `airflow db migrate` runs."""


@functools.cache
def config_file() -> tuple[str, configparser.ConfigParser | None]:
    """airflow.cfg, where Airflow reads it (AIRFLOW_CONFIG, else AIRFLOW_HOME/airflow.cfg), parsed once; None when absent."""
    home = os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))
    path = os.path.expanduser(os.environ.get("AIRFLOW_CONFIG", os.path.join(home, "airflow.cfg")))
    if not os.path.isfile(path):
        return path, None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as error:
        raise MustMigrate(f"{path} could not be read ({error})") from None
    return path, parser


def config_value(section: str, key: str) -> str | None:
    """The value Airflow would read for [section] key, from the environment or airflow.cfg, in Airflow's order; a value it
    would take from a command or a secrets backend cannot be read here."""
    variable = f"AIRFLOW__{section.upper()}__{key.upper()}"
    if variable in os.environ:
        return os.environ[variable]
    for suffix in ("_CMD", "_SECRET"):
        if variable + suffix in os.environ:
            raise MustMigrate(f"[{section}] {key} is set by {variable + suffix}, which is not read without Airflow")
    path, parser = config_file()
    if parser is None:
        return None
    for suffix in ("_cmd", "_secret"):
        if parser.has_option(section, key + suffix):
            raise MustMigrate(f"[{section}] {key}{suffix} in {path} is not read without Airflow")
    return parser.get(section, key, fallback=None)


def check_configuration() -> None:
    """Raises MustMigrate where Airflow's configuration puts tables this check does not read: another auth manager's or
    database manager's, or Airflow's own in a schema of their own."""
    auth_manager = (config_value("core", "auth_manager") or SIMPLE_AUTH_MANAGER).strip()
    if auth_manager != SIMPLE_AUTH_MANAGER:
        raise MustMigrate(f"[core] auth_manager is {auth_manager}, whose own tables `airflow db migrate` migrates too")
    external = (config_value("database", "external_db_managers") or "").strip()
    if external:
        raise MustMigrate(f"[database] external_db_managers is {external}, whose tables `airflow db migrate` migrates too")
    # Airflow's tables (slot_pool among them) in a schema of their own (models/base.py: the metadata's schema): not where this
    # check reads them.
    schema = (config_value("database", "sql_alchemy_schema") or "").strip()
    if schema:
        raise MustMigrate(f"[database] sql_alchemy_schema is {schema}, where this check does not read")


def script_heads() -> tuple[set[str], str]:
    """The heads of the installed Airflow's migration scripts, and their folder."""
    spec = importlib.util.find_spec("airflow")  # found, not imported
    locations = list(spec.submodule_search_locations or []) if spec else []
    folders = [os.path.join(location, "migrations", "versions") for location in locations]
    folders = [folder for folder in folders if os.path.isdir(folder)]
    if len(folders) != 1:
        raise MustMigrate(f"the installed Airflow's migration scripts were not found (airflow/migrations/versions under {locations})")
    chain: dict[str, tuple[str, ...]] = {}
    for path in glob.glob(os.path.join(folders[0], "*.py")):
        with open(path, encoding="utf-8") as f:
            found = {name: value for name, value in IDENTIFIER.findall(f.read())}
        if "revision" not in found:
            continue  # __init__.py
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            raise MustMigrate(f"{path}'s revision identifiers are not plain strings") from None
        chain[revision] = () if down is None else (down,) if isinstance(down, str) else tuple(down)
    revised = {down for downs in chain.values() for down in downs}
    heads = {revision for revision in chain if revision not in revised}
    if not heads:
        raise MustMigrate(f"no migration script was found in {folders[0]}")
    return heads, folders[0]


def masked(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@", 1) if parts.password else url


def query(url: str, statements: list[str]) -> list[list[tuple]]:
    """The rows of each statement, from the database of the SQLAlchemy URL Airflow connects with."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        import sqlite3

        path = url[len("sqlite:///"):].split("?", 1)[0] if url.lower().startswith("sqlite:///") else ""
        if path in ("", ":memory:"):
            raise MustMigrate(f"the database {url} is not a file")
        if not os.path.isfile(path):
            raise MustMigrate(f"the database {path} does not exist yet")
        try:
            con = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=10)
            try:
                return [con.execute(statement).fetchall() for statement in statements]
            finally:
                con.close()
        except sqlite3.OperationalError as error:
            if str(error).startswith("no such table: "):
                raise MustMigrate(f"the database has no {str(error)[len('no such table: '):]} table yet") from None
            raise MustMigrate(f"the database {path} could not be read ({error})") from None
        except sqlite3.Error as error:
            raise MustMigrate(f"the database {path} could not be read ({error})") from None
    if scheme in ("postgresql", "postgresql+psycopg2", "postgres"):
        try:
            import psycopg2
        except ImportError:
            raise MustMigrate("psycopg2 is not installed in this environment") from None
        # libpq reads the same URL once the SQLAlchemy driver name is gone; the password stays percent-encoded for it.
        dsn = "postgresql:" + url.split(":", 1)[1]
        rows: list[list[tuple]] = []
        try:
            con = psycopg2.connect(dsn, connect_timeout=10)
            try:
                with con.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
                        rows.append(cursor.fetchall())
                    return rows
            finally:
                con.close()
        except psycopg2.Error as error:
            if getattr(error, "pgcode", None) == "42P01":  # undefined_table
                raise MustMigrate(f"the database has no {statements[len(rows)].split(' FROM ')[1].split()[0]} table yet") from None
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise MustMigrate(f"the database {masked(url)} could not be read ({message})") from None
    raise MustMigrate(f"the database URL's scheme {scheme} is not one this check reads (SQLite, PostgreSQL)")


def check() -> str:
    """What shows the database is at head; raises MustMigrate with the reason otherwise."""
    url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not url:
        raise MustMigrate("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is not set")
    check_configuration()
    heads, folder = script_heads()
    versions, pool = query(url, ["SELECT version_num FROM alembic_version",
                                 "SELECT 1 FROM slot_pool WHERE pool = 'default_pool'"])
    revisions = {row[0] for row in versions}
    if not revisions:
        raise MustMigrate("the database has no revision yet")
    if revisions != heads:
        raise MustMigrate(f"the database is at revision {', '.join(sorted(revisions))}, the installed Airflow's scripts end "
                          f"at {', '.join(sorted(heads))}")
    if not pool:
        raise MustMigrate("the database has no default_pool, which `airflow db migrate` adds")
    try:
        version = f"Airflow {importlib.metadata.version('apache-airflow')}'s"
    except importlib.metadata.PackageNotFoundError:
        version = "the installed Airflow's"
    return (f"The metadata database is at revision {', '.join(sorted(revisions))}, the head of {version} migration scripts "
            f"({folder}): nothing to migrate, so `airflow db migrate` is not run. Every Airflow process checks the same at "
            f"its start. Set Airflow:AlwaysMigrate=true to run it anyway.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--always", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        if args.always:
            raise MustMigrate("Airflow:AlwaysMigrate is set")
        print(f"{check()} (checked in {(time.monotonic() - started) * 1000:.0f} ms)", flush=True)
        return 0
    except MustMigrate as reason:
        print(f"Running `airflow db migrate`: {reason}.", flush=True)
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    # Replaced by Airflow's own command: its output and exit code are the resource's.
    os.execv(airflow, [airflow, "db", "migrate"])
    return 1


if __name__ == "__main__":
    sys.exit(main())
