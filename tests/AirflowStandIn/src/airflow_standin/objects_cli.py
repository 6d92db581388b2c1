"""``airflow connections import``, ``airflow variables import`` and ``airflow pools import`` (Airflow 3.0.3).

airflow-core/src/airflow/cli/commands/connection_command.py (``connections_import``, ``_import_helper``),
variable_command.py (``variables_import``), pool_command.py (``pool_import``, ``pool_import_helper``) and
api/client/local_client.py (``create_pool``), models/pool.py (``create_or_update_pool``). Their messages, what goes to
stdout, and how each ends: ``SystemExit("...")`` (the message on stderr, exit 1) or an uncaught Airflow exception
(Python's traceback, exit 1). No password is ever printed: 3.0.3 prints only connection ids.
``variables import`` and ``pools import`` are ``action_cli`` (check_db=True): they refuse an unmigrated database;
``connections import`` is ``action_cli(check_db=False)``.
"""

from __future__ import annotations

import json
import os

from airflow.exceptions import AirflowBadRequest, AirflowException
from airflow_standin import db
from airflow_standin.authoring import _KEY_RE
from airflow_standin.secrets_file import load_connections_dict, sanitize_conn_id

POOL_NAME_LENGTH = 256  # models/pool.py: pool = Column(String(256), unique=True)


def _validate_key(k, max_length: int = 250) -> None:
    """airflow/utils/helpers.py ``validate_key``."""
    if not isinstance(k, str):
        raise TypeError(f"The key has to be a string and is {type(k)}:{k}")
    if len(k) > max_length:
        raise AirflowException(f"The key: {k} has to be less than {max_length} characters")
    if not _KEY_RE.match(k):
        raise AirflowException(
            f"The key {k!r} has to be made of alphanumeric characters, dashes, dots and underscores exclusively")


def connections_import(args) -> int:
    if not os.path.exists(args.file):
        raise SystemExit("Missing connections file.")
    connections = load_connections_dict(args.file)
    con = db.connect()
    try:
        for conn_id, conn in connections.items():
            try:
                _validate_key(conn_id, max_length=200)
            except Exception as e:
                print(f"Could not import connection. {e}")
                continue
            with db.write(con):
                existing = con.execute("SELECT id FROM connection WHERE conn_id = ?", (conn_id,)).fetchone()
                if existing is not None and not args.overwrite:
                    print(f"Could not import connection {conn_id}: connection already exists.")
                    continue
                values = (sanitize_conn_id(conn_id), conn["conn_type"], conn["description"], conn["host"],
                          conn["schema"], conn["login"], conn["password"], conn["port"], conn["extra"])
                if existing is None:
                    con.execute("INSERT INTO connection (conn_id, conn_type, description, host, schema, login,"
                                " password, port, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
                else:
                    con.execute("UPDATE connection SET conn_id = ?, conn_type = ?, description = ?, host = ?,"
                                " schema = ?, login = ?, password = ?, port = ?, extra = ? WHERE id = ?",
                                values + (existing["id"],))
            print(f"Imported connection {conn_id}")
    finally:
        con.close()
    return 0


def variables_import(args) -> int:
    db.check_migrations_or_exit()
    if not os.path.exists(args.file):
        raise SystemExit("Missing variables file.")
    with open(args.file) as varfile:
        try:
            var_json = json.load(varfile)
        except json.JSONDecodeError:
            raise SystemExit("Invalid variables file.") from None
    suc_count = fail_count = 0
    skipped = set()
    action = args.action_on_existing_key
    con = db.connect()
    try:
        existing_keys = set()
        if action != "overwrite":
            existing_keys = {r[0] for r in con.execute("SELECT key FROM variable").fetchall() if r[0] in var_json}
        if action == "fail" and existing_keys:
            raise SystemExit(f"Failed. These keys: {sorted(existing_keys)} already exists.")
        for k, v in var_json.items():
            if action == "skip" and k in existing_keys:
                skipped.add(k)
                continue
            try:
                value, description = v, None
                if isinstance(v, dict) and v.get("value"):  # verify that var configuration has value
                    value, description = v["value"], v.get("description")
                # models/variable.py Variable.set: json.dumps(value, indent=2) when serialize_json, else str(value)
                stored = str(value) if isinstance(value, str) else json.dumps(value, indent=2)
                with db.write(con):
                    con.execute("DELETE FROM variable WHERE key = ?", (k,))
                    con.execute("INSERT INTO variable (key, val, description) VALUES (?, ?, ?)",
                                (k, stored, description))
            except Exception as e:
                print(f"Variable import failed: {e!r}")
                fail_count += 1
            else:
                suc_count += 1
    finally:
        con.close()
    print(f"{suc_count} of {len(var_json)} variables successfully updated.")
    if fail_count:
        print(f"{fail_count} variable(s) failed to be updated.")
    if skipped:
        print(f"The variables with these keys: {list(sorted(skipped))} were skipped because they already exists")
    return 0


def _create_pool(con, name, slots, description, include_deferred) -> None:
    """local_client.create_pool, then Pool.create_or_update_pool."""
    if not (name and name.strip()):
        raise AirflowBadRequest("Pool name shouldn't be empty")
    if len(name) > POOL_NAME_LENGTH:
        raise AirflowBadRequest(f"pool name cannot be more than {POOL_NAME_LENGTH} characters")
    try:
        slots = int(slots)
    except ValueError:
        raise AirflowBadRequest(f"Bad value for `slots`: {slots}") from None
    with db.write(con):
        if con.execute("SELECT 1 FROM slot_pool WHERE pool = ?", (name,)).fetchone() is None:
            con.execute("INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES (?, ?, ?, ?)",
                        (name, slots, description, int(bool(include_deferred))))
        else:
            con.execute("UPDATE slot_pool SET slots = ?, description = ?, include_deferred = ? WHERE pool = ?",
                        (slots, description, int(bool(include_deferred)), name))


def pools_import(args) -> int:
    db.check_migrations_or_exit()
    if not os.path.exists(args.file):
        raise SystemExit(f"Missing pools file {args.file}")
    with open(args.file) as poolfile:
        data = poolfile.read()
    try:
        pools_json = json.loads(data)
    except json.JSONDecodeError as e:
        raise SystemExit(f"Invalid json file: {e}") from None
    pools, failed = [], []
    con = db.connect()
    try:
        for k, v in pools_json.items():
            if isinstance(v, dict) and "slots" in v and "description" in v:
                _create_pool(con, k, v["slots"], v["description"], v.get("include_deferred", False))
                pools.append(k)
            else:
                failed.append(k)
    finally:
        con.close()
    if failed:
        raise SystemExit(f"Failed to update pool(s): {', '.join(failed)}")
    print(f"Uploaded {len(pools)} pool(s)")
    return 0
