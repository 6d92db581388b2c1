"""Connections from a file, as airflow-core/src/airflow/secrets/local_filesystem.py (3.0.3) reads them.

``load_connections_dict``: the extension picks the parser (``.env``, ``.json``, ``.yaml``/``.yml``; anything else is
"Unsupported file format ..."); parse errors become one ``AirflowFileParseException`` listing each; a value is a
connection URI (``Connection(uri=...)``, models/connection.py ``_parse_from_uri``) or an object whose keys must be
``Connection.__init__``'s parameters (or ``extra_dejson``). The result maps conn_id to a dict of the connection's
columns (conn_type, description, host, login, password, schema, port, extra).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from airflow.exceptions import AirflowException, AirflowFileParseException, ConnectionNotUnique, FileSyntaxError

COMMENT_PATTERN = re.compile(r"\s*#.*")  # airflow/utils/file.py
# Connection.__init__'s parameters (models/connection.py), which a connection object in a file may use.
CONNECTION_PARAMETERS = {"conn_id", "conn_type", "description", "host", "login", "password", "schema", "port",
                         "extra", "uri"}
# models/connection.py RE_SANITIZE_CONN_ID and CONN_ID_MAX_LEN
RE_SANITIZE_CONN_ID = re.compile(r"^[\w\#\!\(\)\-\.\:\/\\]{1,}$")
CONN_ID_MAX_LEN = 250


def _parse_env_file(file_path: str) -> tuple[dict[str, list[str]], list[FileSyntaxError]]:
    with open(file_path) as f:
        content = f.read()
    secrets: dict[str, list[str]] = defaultdict(list)
    errors: list[FileSyntaxError] = []
    for line_no, line in enumerate(content.splitlines(), 1):
        if not line or COMMENT_PATTERN.match(line):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            errors.append(FileSyntaxError(
                line_no=line_no, message='Invalid line format. The line should contain at least one equal sign ("=").'))
            continue
        if not value:
            errors.append(FileSyntaxError(line_no=line_no, message="Invalid line format. Key is empty."))
        secrets[key].append(value)
    return secrets, errors


def _parse_yaml_file(file_path: str) -> tuple[dict[str, Any], list[FileSyntaxError]]:
    import yaml  # Debian's python3-yaml; Airflow's airflow.utils.yaml wraps PyYAML too

    with open(file_path) as f:
        content = f.read()
    if not content:
        return {}, [FileSyntaxError(line_no=1, message="The file is empty.")]
    try:
        secrets = yaml.safe_load(content)
    except yaml.MarkedYAMLError as e:
        err_line_no = e.problem_mark.line if e.problem_mark else -1
        return {}, [FileSyntaxError(line_no=err_line_no, message=str(e))]
    if not isinstance(secrets, dict):
        return {}, [FileSyntaxError(line_no=1, message="The file should contain the object.")]
    return secrets, []


def _parse_json_file(file_path: str) -> tuple[dict[str, Any], list[FileSyntaxError]]:
    with open(file_path) as f:
        content = f.read()
    if not content:
        return {}, [FileSyntaxError(line_no=1, message="The file is empty.")]
    try:
        secrets = json.loads(content)
    except json.JSONDecodeError as e:
        return {}, [FileSyntaxError(line_no=int(e.lineno), message=e.msg)]
    if not isinstance(secrets, dict):
        return {}, [FileSyntaxError(line_no=1, message="The file should contain the object.")]
    return secrets, []


FILE_PARSERS = {"env": _parse_env_file, "json": _parse_json_file, "yaml": _parse_yaml_file, "yml": _parse_yaml_file}


def _parse_secret_file(file_path: str) -> dict[str, Any]:
    if not os.path.exists(file_path):
        raise AirflowException(f"File {file_path} was not found. Check the configuration of your Secrets backend.")
    ext = file_path.rsplit(".", 2)[-1].lower()
    if ext not in FILE_PARSERS:
        raise AirflowException(
            "Unsupported file format. The file must have one of the following extensions: .env .json .yaml .yml")
    secrets, parse_errors = FILE_PARSERS[ext](file_path)
    if parse_errors:
        raise AirflowFileParseException("Failed to load the secret file.", file_path=file_path,
                                        parse_errors=parse_errors)
    return secrets


def _validate_extra(extra: str | None, conn_id: str) -> None:
    if not extra:
        return
    try:
        parsed = json.loads(extra)
    except json.JSONDecodeError:
        raise ValueError(f"Encountered non-JSON in `extra` field for connection {conn_id!r}.") from None
    if not isinstance(parsed, dict):
        raise ValueError(
            f"Encountered JSON value in `extra` which does not parse as a dictionary in connection {conn_id!r}. "
            "The `extra` field must contain a JSON representation of a Python dict.")


def connection_from_uri(conn_id: str, uri: str) -> dict[str, Any]:
    """models/connection.py ``Connection._parse_from_uri``."""
    if uri.count("://") > 2:
        raise AirflowException(f"Invalid connection string: {uri}.")
    host_with_protocol = uri.count("://") == 2
    conn_type = urlsplit(uri).scheme
    normalized = "postgres" if conn_type == "postgresql" else conn_type.replace("-", "_")
    rest = uri.replace(f"{conn_type}://", ("" if host_with_protocol else "//"))
    if host_with_protocol:
        first = rest.split("://", 1)[0]
        if "@" in first or ":" in first:
            raise AirflowException(f"Invalid connection string: {uri}.")
    parts = urlsplit(rest)
    protocol = parts.scheme if host_with_protocol else None
    host = unquote(parts.hostname or "") if parts.hostname else parts.hostname
    if host and protocol:
        host = f"{protocol}://{host}"
    schema = unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:]
    extra = None
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        extra = query["__extra__"] if "__extra__" in query else json.dumps(query)
    conn = {"conn_id": conn_id, "conn_type": normalized, "description": None, "host": host,
            "login": unquote(parts.username) if parts.username else parts.username,
            "password": unquote(parts.password) if parts.password else parts.password,
            "schema": schema, "port": parts.port, "extra": extra}
    _validate_extra(extra, conn_id)
    return conn


def _create_connection(conn_id: str, value: Any) -> dict[str, Any]:
    """local_filesystem.py ``_create_connection``."""
    if isinstance(value, str):
        return connection_from_uri(conn_id, value)
    if isinstance(value, dict):
        allowed = CONNECTION_PARAMETERS | {"extra_dejson"}
        keys = set(value)
        if not keys.issubset(allowed):
            raise AirflowException(
                f"The object have illegal keys: {', '.join(keys - allowed)}. "
                f"The dictionary can only contain the following keys: {allowed}")
        if "extra" in value and "extra_dejson" in value:
            raise AirflowException(
                "The extra and extra_dejson parameters are mutually exclusive. Please provide only one parameter.")
        value = dict(value)
        if "extra_dejson" in value:
            value["extra"] = json.dumps(value.pop("extra_dejson"))
        if "conn_id" in keys and conn_id != value["conn_id"]:
            raise AirflowException(
                f"Mismatch conn_id. The dictionary key has the value: {value['conn_id']}. "
                f"The item has the value: {conn_id}.")
        uri = value.pop("uri", None)
        fields = {k: value.get(k) for k in ("conn_type", "description", "host", "login", "password", "schema", "port",
                                            "extra")}
        if uri and any(fields[k] for k in ("conn_type", "host", "login", "password", "schema", "port", "extra")):
            raise AirflowException(
                "You must create an object using the URI or individual values "
                "(conn_type, host, login, password, schema, port or extra)."
                "You can't mix these two ways to create this object.")
        if uri:
            conn = connection_from_uri(conn_id, uri)
            conn["description"] = fields["description"]
            return conn
        extra = fields["extra"]
        if extra and not isinstance(extra, str):
            fields["extra"] = extra = json.dumps(extra)
        _validate_extra(extra, conn_id)
        return {"conn_id": conn_id, **fields}
    raise AirflowException(
        f"Unexpected value type: {type(value)}. The connection can only be defined using a string or object.")


def load_connections_dict(file_path: str) -> dict[str, dict[str, Any]]:
    secrets = _parse_secret_file(file_path)
    result = {}
    for key, values in list(secrets.items()):
        if isinstance(values, list):
            if len(values) > 1:
                raise ConnectionNotUnique(f"Found multiple values for {key} in {file_path}.")
            for value in values:
                result[key] = _create_connection(key, value)
        else:
            result[key] = _create_connection(key, values)
    return result


def sanitize_conn_id(conn_id: Any) -> str | None:
    """models/connection.py ``sanitize_conn_id``."""
    if not isinstance(conn_id, str) or len(conn_id) > CONN_ID_MAX_LEN:
        return None
    match = RE_SANITIZE_CONN_ID.match(conn_id)
    return match.group(0) if match else None
