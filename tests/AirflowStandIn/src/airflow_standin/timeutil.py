"""Datetimes: always aware UTC; stored as ISO strings; rendered as pydantic/FastAPI render them."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_db(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(timezone.utc).isoformat()


def from_db(value: str | None) -> datetime | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def api(dt: datetime | str | None) -> str | None:
    """Pydantic v2's JSON form of an aware UTC datetime: ``2025-07-15T10:00:00.123456Z``."""
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = from_db(dt)
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def uuid7() -> str:
    """A UUIDv7 (Airflow 3 uses uuid7 ids for task instances and DAG versions)."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
