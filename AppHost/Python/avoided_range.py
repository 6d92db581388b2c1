"""A package's range of releases known to be broken, written NAME>=LOW,<HIGH: one parser and one test of it, for the
environment step (install_environment.py, which keeps the range out of an install) and the check of an existing environment
(check_environment.py, which refuses it). Standard library only: both run before anything is installed.
"""

from __future__ import annotations

import re
from typing import NamedTuple


def normalized(name: str) -> str:
    """A distribution's name as pip compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def release(version: str) -> tuple[int, ...]:
    """The release numbers of a version, 3.19.0rc1 -> (3, 19, 0): enough to compare provider releases."""
    return tuple(int(part) for part in re.findall(r"\d+", re.split(r"(?:rc|a|b|\.dev|\.post)", version)[0])[:3])


class AvoidedRange(NamedTuple):
    name: str
    low: str
    high: str

    @staticmethod
    def parse(spec: str) -> "AvoidedRange":
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*,\s*<\s*([0-9.]+)\s*", spec)
        if not match:
            raise SystemExit(f"--avoid takes NAME>=LOW,<HIGH, not {spec!r}")
        return AvoidedRange(normalized(match.group(1)), match.group(2), match.group(3))

    def contains(self, version: str) -> bool:
        return release(self.low) <= release(version) < release(self.high)
