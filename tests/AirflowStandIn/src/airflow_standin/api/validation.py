"""Request validation with FastAPI/pydantic v2's 422 shape: ``{"detail": [{"type", "loc", "msg", "input", ...}]}``.

Covers the field kinds of the request bodies the stand-in accepts (strict models with
``extra="forbid"``: LoginBody, DAGPatchBody, TriggerDAGRunPostBody, and the Task Execution API payloads)
and the query/path parameters it reads. Messages and types are pydantic v2's.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

_MISSING = object()


class RequestValidationError(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__("validation error")
        self.errors = errors


def error(type_: str, loc: list, msg: str, input_: Any, ctx: dict | None = None) -> dict:
    e = {"type": type_, "loc": loc, "msg": msg, "input": input_}
    if ctx is not None:
        e["ctx"] = ctx
    return e


def parse_json_body(body: bytes) -> Any:
    """FastAPI: no body -> missing; undecodable JSON -> json_invalid."""
    if not body:
        raise RequestValidationError([error("missing", ["body"], "Field required", None)])
    try:
        return json.loads(body)
    except json.JSONDecodeError as e:
        raise RequestValidationError([error("json_invalid", ["body", e.pos], "JSON decode error", {},
                                            {"error": e.msg})]) from None


# --- field validators: each returns (value) or raises _FieldError ------------------------------------

class _FieldError(Exception):
    def __init__(self, type_: str, msg: str, ctx: dict | None = None):
        self.type, self.msg, self.ctx = type_, msg, ctx


def v_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _FieldError("string_type", "Input should be a valid string")


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def v_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value in (0, 1):
            return bool(value)
        raise _FieldError("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    if isinstance(value, float):
        if value in (0.0, 1.0):
            return bool(value)
        raise _FieldError("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise _FieldError("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    raise _FieldError("bool_type", "Input should be a valid boolean")


def v_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _FieldError("int_from_float", "Input should be a valid integer, got a number with a fractional part")
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _FieldError("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
    raise _FieldError("int_type", "Input should be a valid integer")


def v_float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _FieldError("float_parsing", "Input should be a valid number, unable to parse string as a number")
    raise _FieldError("float_type", "Input should be a valid number")


def v_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    raise _FieldError("dict_type", "Input should be a valid dictionary")


def v_datetime(value: Any) -> datetime:
    if isinstance(value, bool):
        raise _FieldError("datetime_type", "Input should be a valid datetime")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if abs(value) > 2e10 else value, tz=timezone.utc)
    if not isinstance(value, str):
        raise _FieldError("datetime_type", "Input should be a valid datetime")
    text = value.strip()
    if len(text) < 10:
        raise _FieldError("datetime_from_date_parsing", "Input should be a valid datetime or date, input is too short",
                          {"error": "input is too short"})
    try:
        dt = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise _FieldError("datetime_from_date_parsing",
                          "Input should be a valid datetime or date, invalid character in year",
                          {"error": "invalid character in year"}) from None
    return dt


def v_aware_datetime(value: Any) -> datetime:
    dt = v_datetime(value)
    if dt.tzinfo is None:
        raise _FieldError("timezone_aware", "Input should have timezone info")
    return dt


def v_utc_datetime(value: Any) -> datetime:
    """Airflow's UtcDateTime fields: naive values are taken as UTC."""
    dt = v_datetime(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def v_literal(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value in allowed:
            return value
        expected = " or ".join(", ".join(f"'{a}'" for a in allowed).rsplit(", ", 1))
        raise _FieldError("literal_error", f"Input should be {expected}", {"expected": expected})

    return check


def nullable(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return None if value is None else inner(value)

    return check


class Field:
    def __init__(self, validator: Callable[[Any], Any], required: bool = False, default: Any = None,
                 default_factory: Callable[[], Any] | None = None):
        self.validator, self.required, self.default, self.default_factory = validator, required, default, default_factory


def validate_model(data: Any, fields: dict[str, Field], loc: list, extra_forbid: bool = True) -> dict:
    """A pydantic model with extra='forbid': all field errors together, then extras."""
    if not isinstance(data, dict):
        raise RequestValidationError([error("model_attributes_type", loc,
                                            "Input should be a valid dictionary or object to extract fields from",
                                            data)])
    errors, out = [], {}
    for name, f in fields.items():
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if f.required:
                errors.append(error("missing", loc + [name], "Field required", data))
            else:
                out[name] = f.default_factory() if f.default_factory else f.default
            continue
        try:
            out[name] = f.validator(value)
        except _FieldError as e:
            errors.append(error(e.type, loc + [name], e.msg, value, e.ctx))
    if extra_forbid:
        for name in data:
            if name not in fields:
                errors.append(error("extra_forbidden", loc + [name], "Extra inputs are not permitted", data[name]))
    if errors:
        raise RequestValidationError(errors)
    out["__fields_set__"] = {k for k in data if k in fields}
    return out


def query_param(query: dict[str, list[str]], name: str, validator: Callable[[Any], Any], default: Any = None,
                minimum: int | None = None) -> Any:
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    try:
        value = validator(raw)
    except _FieldError as e:
        raise RequestValidationError([error(e.type, ["query", name], e.msg, raw, e.ctx)]) from None
    if minimum is not None and value < minimum:
        raise RequestValidationError([error("greater_than_equal", ["query", name],
                                            f"Input should be greater than or equal to {minimum}", raw,
                                            {"ge": minimum})])
    return value


def path_param(name: str, raw: str, validator: Callable[[Any], Any], minimum: int | None = None) -> Any:
    try:
        value = validator(raw)
    except _FieldError as e:
        raise RequestValidationError([error(e.type, ["path", name], e.msg, raw, e.ctx)]) from None
    if minimum is not None and value < minimum:
        raise RequestValidationError([error("greater_than_equal", ["path", name],
                                            f"Input should be greater than or equal to {minimum}", raw,
                                            {"ge": minimum})])
    return value


def v_uuid(value: Any) -> str:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _FieldError("uuid_parsing",
                          "Input should be a valid UUID, invalid character: expected an optional prefix of "
                          "`urn:uuid:` followed by [0-9a-fA-F-], found `" + (str(value)[:1] or " ") + "` at 1",
                          {"error": "invalid character"}) from None
