"""A user's requirements file (pip's format, Airflow:Requirements) read line by line, for the install (install_environment.py
checks each line against the constraints' pins before pip runs, and names a failing line) and for the check of an existing
environment (check_environment.py: each line must be met by what is installed, nothing is installed).

The format is pip's (https://pip.pypa.io/en/stable/reference/requirements-file-format/, pip/_internal/req/req_file.py):
comments from '#' at a line's start or after whitespace, '\\' joining a line to the next (the joined line keeps the first
line's number, as pip reports it), options lines (-c, --index-url, ...), -r/--requirement FILE relative to the file naming it.

Standard library only: the installer runs before anything is installed. When `packaging` is importable (an environment's own,
or the copy vendored in pip) it reads requirements, versions and markers exactly; otherwise a small reading of the same rules
(PEP 440 versions, PEP 508 requirements and markers) does, enough for ==, !=, <, <=, >, >=, ~=, === and markers.
"""

from __future__ import annotations

import hashlib
import operator
import os
import platform
import re
import sys
from pathlib import Path
from typing import Callable, NamedTuple

try:  # An environment's own packaging first, then pip's copy; neither is needed.
    from packaging.requirements import InvalidRequirement, Requirement as _Requirement
    from packaging.version import InvalidVersion, Version as _Version
except ImportError:
    try:
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement as _Requirement
        from pip._vendor.packaging.version import InvalidVersion, Version as _Version
    except ImportError:
        _Requirement = None  # type: ignore[assignment, misc]

if os.environ.get("AIRFLOWASPIRE_REQUIREMENTS_STDLIB_ONLY") == "1":
    # The tests' way to prove the standard-library reading agrees with packaging's on the same lines.
    _Requirement = None  # type: ignore[assignment, misc]

COMMENT = re.compile(r"(^|\s+)#.*$")
INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=)(\S+)$")
URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|\.{0,2}/|[A-Za-z]:\\)")


def normalized(name: str) -> str:
    """A distribution's name as pip compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Line(NamedTuple):
    """A logical line of a requirements file: the file, the number pip reports it by (its first line), its text."""
    file: str
    number: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file} line {self.number}"


class Requirement(NamedTuple):
    """A requirement line: its name, specifier (e.g. '>=6.0,<7'), marker (None: none) and URL (for 'name @ url' lines)."""
    line: Line
    name: str
    specifier: str
    marker: str | None
    url: str | None

    @property
    def key(self) -> str:
        return normalized(self.name)

    @property
    def text(self) -> str:
        """The requirement as written, without pip's per-requirement options (--hash=...)."""
        return re.split(r"\s+--?[A-Za-z]", self.line.text, maxsplit=1)[0].strip()

    def applies(self) -> bool:
        """False when its environment marker excludes this Python and platform (then pip skips it too)."""
        return self.marker is None or marker_holds(self.marker)

    def allows(self, version: str) -> bool:
        """True when the version meets the specifier (pre-releases count: what is installed or pinned is what it is)."""
        return specifier_allows(self.specifier, version)


def read(path: str | os.PathLike[str]) -> tuple[list[Line], list[str], str]:
    """The file's logical lines (those of -r files included, in order), notes on what is not a requirement, and a digest
    of every file read (their paths and contents), so an edit of any of them is seen."""
    lines: list[Line] = []
    notes: list[str] = []
    digest = hashlib.sha256()
    _read(Path(path), lines, notes, digest, set())
    return lines, notes, digest.hexdigest()


def _read(path: Path, lines: list[Line], notes: list[str], digest: "hashlib._Hash", seen: set[Path]) -> None:
    path = path.resolve()
    if path in seen:
        return  # pip would loop; one reading is enough here.
    seen.add(path)
    content = path.read_text(encoding="utf-8")
    digest.update(f"{path}\0{content}\0".encode())
    joined: list[str] = []
    first = 0
    for number, raw in enumerate(content.splitlines(), start=1):
        if raw.endswith("\\") and not COMMENT.match(raw):
            first = first or number
            joined.append(raw[:-1])
            continue
        if joined:
            joined.append(raw)
            number, raw, joined, first = first, "".join(joined), [], 0
        text = COMMENT.sub("", raw).strip()
        if not text:
            continue
        line = Line(str(path), number, text)
        include = INCLUDE.match(text)
        if include:
            _read(path.parent / include.group(1), lines, notes, digest, seen)
        elif text.startswith("-"):
            notes.append(f"{line.where}: '{text}' is an option, not a requirement: skipped here (pip reads it when it installs)")
        else:
            lines.append(line)


def parse(line: Line) -> Requirement | None:
    """The line's requirement; None for a URL or path without a name (#egg=NAME names one), which cannot be checked."""
    text = re.split(r"\s+--?[A-Za-z]", line.text, maxsplit=1)[0].strip()
    named_url = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@", text)
    if not named_url and (URL.match(text) or text.endswith((".whl", ".tar.gz", ".zip"))):
        egg = re.search(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)", line.text)
        return Requirement(line, egg.group(1), "", None, text) if egg else None
    if _Requirement is not None:
        try:
            parsed = _Requirement(text)
        except InvalidRequirement as error:
            raise ValueError(f"{line.where}: '{line.text}' is not a requirement pip can read: {error}") from None
        return Requirement(line, parsed.name, str(parsed.specifier), str(parsed.marker) if parsed.marker else None, parsed.url)
    match = re.fullmatch(
        r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
        r"(?:@\s*(?P<url>\S+)\s*|\(?(?P<spec>[^;()]*)\)?\s*)(?:;\s*(?P<marker>.+))?", text)
    if not match:
        raise ValueError(f"{line.where}: '{line.text}' is not a requirement pip can read")
    return Requirement(line, match.group(1), re.sub(r"\s+", "", match.group("spec") or ""), match.group("marker"), match.group("url"))


# --- Versions and specifiers (PEP 440), used when packaging is not importable ---------------------------------------------

_VERSION = re.compile(
    r"v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d*))?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?", re.IGNORECASE)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_INF = float("inf")


def _key(version: str) -> tuple:
    """A sort key of a PEP 440 version (local labels ignored, as specifiers without one ignore them)."""
    match = _VERSION.fullmatch(version.strip())
    if not match:
        raise ValueError(f"'{version}' is not a version")
    release = [int(part) for part in match.group("release").split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    has_post = match.group("post_n1") is not None or match.group("post_l") is not None
    if match.group("pre_l"):
        pre: tuple = (_PRE[match.group("pre_l").lower()], int(match.group("pre_n") or 0))
    elif match.group("dev_l") and not has_post:
        pre = (-_INF,)  # 1.0.dev0 < 1.0a0
    else:
        pre = (_INF,)
    post = (int(match.group("post_n1") or match.group("post_n2") or 0),) if has_post else (-_INF,)
    dev = (int(match.group("dev_n") or 0),) if match.group("dev_l") else (_INF,)
    return int(match.group("epoch") or 0), tuple(release), pre, post, dev


def _release(version: str) -> list[int]:
    return [int(part) for part in _VERSION.fullmatch(version.strip()).group("release").split(".")]  # type: ignore[union-attr]


def _prefix_match(version: str, prefix: str) -> bool:
    """==X.Y.*: the version's release starts with X.Y (missing parts count as 0)."""
    wanted = _release(prefix)
    have = _release(version) + [0] * len(wanted)
    return have[:len(wanted)] == wanted


def _one_allows(clause: str, version: str) -> bool:
    match = re.fullmatch(r"(===|~=|==|!=|<=|>=|<|>)\s*(\S+)", clause.strip())
    if not match:
        raise ValueError(f"'{clause}' is not a version specifier")
    op, wanted = match.groups()
    if op == "===":
        return version.strip().lower() == wanted.lower()
    if op in ("==", "!=") and wanted.endswith(".*"):
        return _prefix_match(version, wanted[:-2]) == (op == "==")
    if op == "~=":
        release = _release(wanted)
        return _key(version) >= _key(wanted) and _prefix_match(version, ".".join(map(str, release[:-1])))
    if op in ("<", ">"):
        # PEP 440: <V excludes V's pre-releases and >V its post-releases, unless V is one itself.
        (epoch, release, pre, post, dev), (w_epoch, w_release, w_pre, w_post, w_dev) = _key(version), _key(wanted)
        same = (epoch, release) == (w_epoch, w_release)
        if op == "<":
            return _key(version) < _key(wanted) and not (same and w_pre == (_INF,) and w_dev == (_INF,) and (pre != (_INF,) or dev != (_INF,)))
        return _key(version) > _key(wanted) and not (same and w_post == (-_INF,) and post != (-_INF,))
    compare: dict[str, Callable[[tuple, tuple], bool]] = {
        "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
    return compare[op](_key(version), _key(wanted))


def specifier_allows(specifier: str, version: str) -> bool:
    """True when the version meets every clause of the specifier ('' allows every version)."""
    if _Requirement is not None:
        from_packaging = _Requirement(f"x{specifier}").specifier
        try:
            return from_packaging.contains(_Version(version), prereleases=True)
        except InvalidVersion:
            return from_packaging.contains(version, prereleases=True)
    return all(_one_allows(clause, version) for clause in specifier.split(",") if clause.strip())


# --- Environment markers (PEP 508), used when packaging is not importable -------------------------------------------------

def environment() -> dict[str, str]:
    """The marker variables of the running Python (PEP 508's default environment)."""
    implementation = sys.implementation
    info = implementation.version
    version = f"{info.major}.{info.minor}.{info.micro}" + (f"{info.releaselevel[0]}{info.serial}" if info.releaselevel != "final" else "")
    return {
        "implementation_name": implementation.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
        "extra": "",
    }


_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)|(?P<paren>[()])"
                    r"|(?P<bool>and\b|or\b)|(?P<var>[A-Za-z_][A-Za-z0-9_.]*))")
_VERSION_VARIABLES = {"python_version", "python_full_version", "implementation_version", "platform_release"}


def marker_holds(marker: str) -> bool:
    """True when the marker holds for the running Python and platform."""
    if _Requirement is not None:
        return _Requirement(f"x; {marker}").marker.evaluate({"extra": ""})  # type: ignore[union-attr]
    tokens, position = [], 0
    while position < len(marker.rstrip()):
        match = _TOKEN.match(marker, position)
        if not match or match.end() == position:
            raise ValueError(f"'{marker}' is not an environment marker")
        kind = match.lastgroup
        tokens.append((kind, re.sub(r"\s+", " ", match.group(kind))))
        position = match.end()
    values = environment()
    result, rest = _or(tokens, values)
    if rest:
        raise ValueError(f"'{marker}' is not an environment marker")
    return result


def _or(tokens: list, values: dict) -> tuple[bool, list]:
    left, tokens = _and(tokens, values)
    while tokens and tokens[0] == ("bool", "or"):
        right, tokens = _and(tokens[1:], values)
        left = left or right
    return left, tokens


def _and(tokens: list, values: dict) -> tuple[bool, list]:
    left, tokens = _atom(tokens, values)
    while tokens and tokens[0] == ("bool", "and"):
        right, tokens = _atom(tokens[1:], values)
        left = left and right
    return left, tokens


def _atom(tokens: list, values: dict) -> tuple[bool, list]:
    if tokens and tokens[0] == ("paren", "("):
        result, tokens = _or(tokens[1:], values)
        if not tokens or tokens[0] != ("paren", ")"):
            raise ValueError("unbalanced parentheses in an environment marker")
        return result, tokens[1:]
    if len(tokens) < 3 or tokens[1][0] != "op":
        raise ValueError("an environment marker compares a variable with a quoted value")
    (left_kind, left), (_, op), (right_kind, right) = tokens[:3]
    version_variable = left in _VERSION_VARIABLES or right in _VERSION_VARIABLES
    left = values.get(left, left) if left_kind == "var" else left[1:-1]
    right = values.get(right, right) if right_kind == "var" else right[1:-1]
    return _compare(left, op, right, version_variable), tokens[3:]


def _compare(left: str, op: str, right: str, version_variable: bool) -> bool:
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if version_variable:
        try:
            return _one_allows(f"{op}{right}", left)
        except ValueError:
            pass
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "===":
        return left == right
    raise ValueError(f"'{left} {op} {right}' compares values that are not versions")
