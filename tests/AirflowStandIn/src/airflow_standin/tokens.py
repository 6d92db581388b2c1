"""JWTs as airflow-core/src/airflow/api_fastapi/auth/tokens.py makes and checks them.

- ``JWTGenerator.generate``: claims ``jti`` (uuid4 hex), ``aud``, ``nbf``, ``exp`` (now + valid_for),
  ``iat``, ``iss`` only when ``[api_auth] jwt_issuer`` is set, plus the extras; header ``alg``.
  Algorithm ``[api_auth] jwt_algorithm`` or, with a shared secret, ``HS512`` (``_guess_best_algorithm``).
- ``JWTValidator``: requires ``exp``, ``iat``, ``nbf``; checks the audience (any of a comma list), the
  issuer when configured, ``[api_auth] jwt_leeway`` seconds of leeway, and extra essential claims
  (``InvalidClaimError("Invalid claim: sub")``).
- ``get_signing_key``: an empty ``[api_auth] jwt_secret`` is replaced by a per-process random one (with a
  warning), except for the executor's task tokens (``make_secret_key_if_needed=False``), which fail.

The audiences: REST API tokens use ``apache-airflow`` unless ``[api_auth] jwt_audience`` is set
(base_auth_manager ``_get_token_signer`` / ``_get_token_validator``); task tokens use the first value of
``[execution_api] jwt_audience`` (``urn:airflow.apache.org:task``) and are valid for
``[execution_api] jwt_expiration_time`` (600 s) (base_executor ``jwt_generator``).
"""

from __future__ import annotations

import base64
import os
import sys
import uuid
from typing import Any

import jwt

from airflow_standin.config import conf
from airflow_standin.timeutil import utcnow

REST_AUDIENCE_DEFAULT = "apache-airflow"


class InvalidClaimError(ValueError):
    def __init__(self, claim: str):
        super().__init__(f"Invalid claim: {claim}")


_generated_secrets: dict[tuple[str, str], str] = {}


def signing_key(section: str, key: str, make_secret_key_if_needed: bool = True) -> str:
    value = conf().get(section, key)
    if value:
        return value
    if not make_secret_key_if_needed:
        raise ValueError(f"The value {section}/{key} must be set!")
    if (section, key) not in _generated_secrets:
        print(f"WARNING - `{section}/{key}` was empty, using a generated one for now. Please set this in your config",
              file=sys.stderr)
        _generated_secrets[(section, key)] = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    return _generated_secrets[(section, key)]


def algorithm() -> str:
    algs = conf().getlist("api_auth", "jwt_algorithm")
    return algs[0] if algs else "HS512"


def generate(secret: str, audience: str | None, valid_for: float, extras: dict[str, Any] | None = None) -> str:
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "jti": uuid.uuid4().hex,
        "iss": (conf().getlist("api_auth", "jwt_issuer") or [None])[0],
        "aud": audience,
        "nbf": now,
        "exp": int(now + valid_for),
        "iat": now,
    }
    if claims["iss"] is None:
        del claims["iss"]
    if claims["aud"] is None:
        del claims["aud"]
    if extras is not None:
        claims = extras | claims
    alg = algorithm()
    return jwt.encode(claims, secret, algorithm=alg, headers={"alg": alg})


def validate(token: str, secret: str, audience: str | list[str],
             required_claims: dict[str, Any] | None = None) -> dict[str, Any]:
    """Decode and check a token; raises jwt.InvalidTokenError subclasses or InvalidClaimError."""
    issuer = conf().getlist("api_auth", "jwt_issuer") or None
    algs = conf().getlist("api_auth", "jwt_algorithm") or ["HS512"]
    try:
        claims = jwt.decode(
            token,
            secret,
            audience=audience,
            issuer=issuer[0] if issuer and len(issuer) == 1 else issuer,
            options={"require": ["exp", "iat", "nbf"]},
            algorithms=algs,
            leeway=conf().getint("api_auth", "jwt_leeway", fallback=10),
        )
    except jwt.InvalidAudienceError as e:
        # PyJWT 2.10.1 (Airflow 3.0.3's constraint) words this "Audience doesn't match";
        # Debian's PyJWT 2.6 says "Invalid audience".
        if str(e) == "Invalid audience":
            raise jwt.InvalidAudienceError("Audience doesn't match") from None
        raise
    for claim, expected in (required_claims or {}).items():
        if expected["essential"] and (claim not in claims or claims[claim] != expected["value"]):
            raise InvalidClaimError(claim)
    return claims


# --- REST API tokens (simple auth manager) ---------------------------------------------------------

def rest_audience() -> str:
    return conf().get("api_auth", "jwt_audience") or REST_AUDIENCE_DEFAULT


def generate_rest_token(username: str, role: str | None, expiration: int | None = None) -> str:
    valid_for = expiration if expiration is not None else conf().getint("api_auth", "jwt_expiration_time")
    return generate(signing_key("api_auth", "jwt_secret"), rest_audience(), valid_for,
                    {"sub": username, "role": role})


def validate_rest_token(token: str) -> dict[str, Any]:
    audiences = [a.strip() for a in rest_audience().split(",") if a.strip()]
    return validate(token, signing_key("api_auth", "jwt_secret"), audiences)


# --- Task identity tokens (Task Execution API) -----------------------------------------------------

def task_audiences() -> list[str]:
    return conf().getlist("execution_api", "jwt_audience")


def generate_task_token(ti_id: str, secret: str | None = None) -> str:
    if secret is None:
        secret = signing_key("api_auth", "jwt_secret", make_secret_key_if_needed=False)
    return generate(secret, task_audiences()[0], conf().getint("execution_api", "jwt_expiration_time"),
                    {"sub": ti_id})


def validate_task_token(token: str, ti_id: str | None = None) -> dict[str, Any]:
    required = {"sub": {"essential": True, "value": ti_id}} if ti_id is not None else None
    return validate(token, signing_key("api_auth", "jwt_secret", make_secret_key_if_needed=False),
                    task_audiences(), required)


# --- Log server tokens (serve_logs / FileTaskHandler) ----------------------------------------------

LOG_AUDIENCE = "task-instance-logs"


def generate_log_token(filename: str) -> str:
    return generate(signing_key("api", "secret_key"), LOG_AUDIENCE, 30, {"filename": filename})


def validate_log_token(token: str) -> dict[str, Any]:
    return jwt.decode(token, signing_key("api", "secret_key"), audience=LOG_AUDIENCE, algorithms=["HS512"],
                      options={"require": ["exp", "iat", "nbf"]}, leeway=30)
