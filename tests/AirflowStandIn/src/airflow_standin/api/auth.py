"""The simple auth manager and the REST API's bearer-token check.

airflow-core/src/airflow/api_fastapi/auth/managers/simple/:
- users: ``[core] simple_auth_manager_users`` (``username:role`` pairs); passwords file
  ``[core] simple_auth_manager_passwords_file`` or ``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``
  (a JSON object); at api-server start ``init()`` adds a generated password for every user missing from it
  (and prints it), keeping the ones already there;
- ``POST /auth/token`` (JSON ``LoginBody``: ``username``, ``password``, no other fields; 3.0.3 takes JSON
  only): 201 ``{"access_token"}``; a missing field or an extra one is FastAPI's 422; an empty username or
  password 400 "Username and password must be provided"; wrong credentials 401 "Invalid credentials".
  ``GET /auth/token`` answers 403 unless ``[core] simple_auth_manager_all_admins``. ``POST /auth/token/cli``
  is the same as POST /auth/token with ``[api_auth] jwt_cli_expiration_time``;
- the token's claims: ``sub`` (username) and ``role`` (serialize_user), plus the JWTGenerator claims.
core_api/security.py ``get_user``: no bearer token -> 401 "Not authenticated" (OAuth2PasswordBearer);
expired -> 401 "Token Expired"; any other invalid token -> 403 "Invalid JWT token". Roles: viewer < user <
op < admin; reading DAGs needs viewer, changing them or triggering runs needs user ("Forbidden" otherwise).
"""

from __future__ import annotations

import fcntl
import json
import os
import random

import jwt

from airflow_standin.api.http import HTTPException, Request, Response, json_response
from airflow_standin.api.validation import Field, parse_json_body, v_str, validate_model
from airflow_standin.config import conf
from airflow_standin.tokens import generate_rest_token, validate_rest_token

ROLES = {"VIEWER": 0, "USER": 1, "OP": 2, "ADMIN": 3}


def passwords_file() -> str:
    return conf().get("core", "simple_auth_manager_passwords_file") or os.path.join(
        conf().home, "simple_auth_manager_passwords.json.generated")


def users() -> list[dict[str, str]]:
    result = []
    for item in conf().getlist("core", "simple_auth_manager_users"):
        username, role = item.split(":")
        result.append({"username": username, "role": role})
    return result


def _generate_password() -> str:
    return "".join(random.choices("abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789", k=16))


def _read_passwords(stream, usernames: set[str]) -> tuple[dict[str, str], bool]:
    stream.seek(0)
    content = stream.read().strip() or "{}"
    from_file = json.loads(content)
    changed = bool(from_file.keys() - usernames)
    return {u: p for u, p in from_file.items() if u in usernames}, changed


def init() -> None:
    if conf().getboolean("core", "simple_auth_manager_all_admins"):
        return
    all_users = users()
    path = passwords_file()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with open(path, "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                passwords, changed = _read_passwords(f, {u["username"] for u in all_users})
                for user in all_users:
                    if user["username"] not in passwords:
                        passwords[user["username"]] = _generate_password()
                        print(f"Simple auth manager | Password for user '{user['username']}': "
                              f"{passwords[user['username']]}", flush=True)
                        changed = True
                if changed:
                    f.seek(0)
                    f.truncate()
                    f.write(json.dumps(passwords) + "\n")
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    except BlockingIOError:
        pass


def create_token(request: Request, expiration: int | None) -> Response:
    if conf().getboolean("core", "simple_auth_manager_all_admins"):
        return json_response({"access_token": generate_rest_token("Anonymous", "ADMIN", expiration)}, 201)
    body = validate_model(parse_json_body(request.body),
                          {"username": Field(v_str, required=True), "password": Field(v_str, required=True)},
                          ["body"])
    if not body["username"] or not body["password"]:
        raise HTTPException(400, "Username and password must be provided")
    all_users = users()
    with open(passwords_file(), "r+") as f:
        passwords, _ = _read_passwords(f, {u["username"] for u in all_users})
    found = [u for u in all_users if u["username"] == body["username"]
             and passwords.get(u["username"]) == body["password"]]
    if not found:
        raise HTTPException(401, "Invalid credentials")
    return json_response({"access_token": generate_rest_token(body["username"], found[0]["role"], expiration)}, 201)


def post_token(request: Request) -> Response:
    return create_token(request, None)


def post_token_cli(request: Request) -> Response:
    return create_token(request, conf().getint("api_auth", "jwt_cli_expiration_time"))


def get_token_all_admins(request: Request) -> Response:
    if not conf().getboolean("core", "simple_auth_manager_all_admins"):
        raise HTTPException(403, "This method is only allowed if ``[core] simple_auth_manager_all_admins`` is True")
    return json_response({"access_token": generate_rest_token("Anonymous", "ADMIN")}, 201)


def authenticate(request: Request, method: str = "GET", min_role: str = "VIEWER") -> dict:
    """get_user + the simple auth manager's role check; raises HTTPException."""
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
    try:
        claims = validate_rest_token(token.strip())
        user = {"username": claims["sub"], "role": claims["role"]}
    except jwt.ExpiredSignatureError:
        raise HTTPException(401, "Token Expired") from None
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise HTTPException(403, "Invalid JWT token") from None
    role = ROLES.get(str(user["role"] or "").upper())
    if role is None or role < ROLES[min_role]:
        if role != ROLES["ADMIN"]:
            raise HTTPException(403, "Forbidden")
    request.user = user
    return user
