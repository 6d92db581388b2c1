"""Creates a Python virtual environment and installs one requirement with a constraints file.

Run by the AppHost as a one-shot resource. A no-op when the environment already holds what was
asked for: the last successful install is recorded in the environment and compared first.
Standard library only: it runs before anything is installed.

--avoid "NAME>=LOW,<HIGH" keeps a known-broken range of a package out: when the constraints file pins NAME
inside it, the install uses a copy of the constraints without that pin (nor those of --avoid-companion, which
the fixed release needs newer) and asks for NAME>=HIGH instead. pip refuses a requirement that conflicts with a
constraint, so the constraints themselves must change; the copy is kept in the environment.

--requirements FILE (Airflow:Requirements) installs a user's requirements file in the same install as Airflow, held to the same
constraints, so no package of it can move one Airflow was tested with. Its lines are checked against the constraints' pins
first, so a conflict is named (the line, the pin) before pip or uv runs; a failing install is traced back to the line too.
The record of the last install holds a digest of the file (and of files it includes), so an edit installs again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import requirements_file
from avoided_range import AvoidedRange, normalized

STAMP = ".airflowaspire-install.json"

# Signs, in pip's and uv's output, that the package index could not be reached.
UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Name or service not known",
    "Temporary failure in name resolution",
    "ConnectTimeoutError",
    "Connection refused",
    "Network is unreachable",
    "dns error",
    "error sending request",
    "Failed to fetch",
    "Could not fetch URL",
)
NO_SUCH_VERSION = ("No matching distribution found", "Could not find a version that satisfies", "not found in the package registry", "No solution found")


def fail(message: str, fix: str) -> None:
    print(f"ERROR: {message}\nFix: {fix}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(command: list[str]) -> str:
    """Runs a command, echoing its output, and returns that output."""
    print("$ " + " ".join(command), flush=True)
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        raise subprocess.CalledProcessError(completed.returncode, command, completed.stdout)
    return completed.stdout


def unreachable(url: str, timeout: int) -> str | None:
    """Why the URL cannot be reached, or None when a server answers (any HTTP status counts)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as error:
        return str(getattr(error, "reason", error))
    return None


def pip_config_index() -> str | None:
    """The index set in pip's own configuration files (pip.conf), if any."""
    completed = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def check_sources(args: argparse.Namespace, uv: str | None) -> None:
    """Fails at once, saying which, when the package index or the constraints file cannot be reached.

    pip, told not to retry, reports an unreachable index only as "no matching distribution",
    which would send the user after the wrong fix.
    """
    index = (os.environ.get("UV_INDEX_URL") or os.environ.get("UV_DEFAULT_INDEX")) if uv else (os.environ.get("PIP_INDEX_URL") or pip_config_index())
    sources = [("package index", (index or "https://pypi.org/simple").rstrip("/") + "/")]
    if args.constraint.startswith(("http://", "https://")):
        sources.append(("constraints file", args.constraint))
    for what, url in sources:
        reason = unreachable(url, args.index_timeout)
        if reason is not None:
            fail(
                f"The {what} could not be reached ({url}: {reason}), so {args.requirement} cannot be installed.",
                "check the network or proxy (HTTPS_PROXY; PIP_INDEX_URL or UV_INDEX_URL for a mirror), "
                "or point Airflow:VirtualEnvironment at an environment that already has Airflow.",
            )


def read_text(source: str, timeout: int) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as response:
            return response.read().decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def pins(constraints: str) -> dict[str, str]:
    """NAME==VERSION lines of a constraints file, by normalized name."""
    found = {}
    for line in constraints.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if match:
            found[normalized(match.group(1))] = match.group(2)
    return found


def avoided(args: argparse.Namespace, requirements: list[str]) -> str:
    """The constraints to install with: the file as given, or a copy without the pins an --avoid range catches."""
    if not args.avoid:
        return args.constraint
    try:
        constraints = read_text(args.constraint, args.index_timeout)
    except (urllib.error.URLError, OSError) as error:
        fail(f"The constraints file {args.constraint} could not be read: {error}.",
             "check the network or proxy, or point Airflow:VirtualEnvironment at an environment that already has Airflow.")
    pinned = pins(constraints)
    drop = set()
    for spec in args.avoid:
        name, _, high = avoid = AvoidedRange.parse(spec)
        version = pinned.get(name)
        if version is not None and avoid.contains(version):
            print(f"The constraints pin {name}=={version}, inside {spec}, a range known to be broken: installing {name}>={high} "
                  f"instead, without the pins of {', '.join([name, *args.avoid_companion])}.", flush=True)
            drop.update([name, *map(normalized, args.avoid_companion)])
            requirements.append(f"{name}>={high}")
    if not drop:
        return args.constraint
    kept = [line for line in constraints.splitlines()
            if not (m := re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==", line)) or normalized(m.group(1)) not in drop]
    local = args.venv.parent / f"{args.venv.name}.constraints.txt"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(f"# {args.constraint}, without the pins of {', '.join(sorted(drop))} (--avoid {' '.join(args.avoid)})\n"
                     + "\n".join(kept) + "\n", encoding="utf-8")
    return str(local)


def user_requirements(args: argparse.Namespace) -> list[requirements_file.Requirement]:
    """The requirements of --requirements FILE that apply to this Python (markers evaluated), each with its file and line."""
    found = []
    for line in args.user_lines:
        try:
            requirement = requirements_file.parse(line)
        except ValueError as error:
            fail(f"{error}.", f"correct line {line.number} of {line.file} (Airflow:Requirements), in pip's requirements format.")
        if requirement is not None and requirement.applies():
            found.append(requirement)
    return found


def check_against_constraints(args: argparse.Namespace, constraint: str) -> None:
    """Fails, naming the line and the pin, when a requirement of --requirements FILE excludes the version the constraints pin:
    pip and uv would refuse it too, after a resolution whose message does not name the file's line."""
    requirements = [r for r in user_requirements(args) if r.url is None and r.specifier]
    if not requirements:
        return
    try:
        pinned = pins(read_text(constraint, args.index_timeout))
    except (urllib.error.URLError, OSError) as error:
        fail(f"The constraints file {constraint} could not be read: {error}.",
             "check the network or proxy, or point Airflow:VirtualEnvironment at an environment that already has Airflow.")
    for requirement in requirements:
        version = pinned.get(requirement.key)
        try:
            allowed = version is None or requirement.allows(version)
        except ValueError:
            continue  # A version or specifier this reading does not know: pip judges it.
        if not allowed:
            conflict(args, requirement, f"{requirement.name}=={version}")


def conflict(args: argparse.Namespace, requirement: requirements_file.Requirement, pin: str, detail: str = "") -> None:
    fail(f"{requirement.text} ({requirement.line.where}) conflicts with Airflow's constraints, which pin {pin} "
         f"({args.constraint}){detail}.",
         f"change that line of Airflow:Requirements so that it works with {pin}: loosen its range, or pick a version that "
         f"{args.requirement} supports (the constraints file lists the versions Airflow is tested with).")


def explain_failure(args: argparse.Namespace, output: str) -> None:
    """Fails naming the line of --requirements FILE that pip's or uv's output blames, when it blames one."""
    requirements = user_requirements(args)
    if not requirements:
        return
    by_key = {r.key: r for r in requirements}
    by_line = {(r.line.file, r.line.number): r for r in requirements}

    def from_line(file: str, number: str) -> requirements_file.Requirement | None:
        return by_line.get((str(Path(file).resolve()), int(number)))

    # pip 23+ (pip/_internal/resolution/resolvelib/factory.py, get_installation_error): "Cannot install -r FILE (line N) and
    # ... because these package versions have conflicting dependencies. The conflict is caused by: ... The user requested
    # (constraint) NAME==X".
    cannot = re.search(r"Cannot install (.+?) because these package versions have conflicting dependencies", output)
    if cannot:
        blamed = [from_line(file, number) for file, number in re.findall(r"-r (.+?) \(line (\d+)\)", cannot.group(1))]
        blamed += [by_key.get(normalized(name)) for name in re.findall(r"(?:^|, | and )([A-Za-z0-9][A-Za-z0-9._-]*)", cannot.group(1))]
        constraint = re.search(r"The user requested \(constraint\) ([A-Za-z0-9._-]+)(\S*)", output)
        causes = [c.strip() for c in re.findall(r"^\s+(.+ depends on .+)$", output, re.MULTILINE)]
        for requirement in filter(None, blamed):
            if constraint:
                conflict(args, requirement, constraint.group(1) + constraint.group(2), f": {'; '.join(causes)}" if causes else "")
            fail(f"{requirement.text} ({requirement.line.where}) conflicts with {args.requirement} or another line of the file: "
                 + ("; ".join(causes) or "see pip's output above") + ".",
                 "loosen that line of Airflow:Requirements, or pick a version that works with the packages named.")
    # uv (crates/uv-resolver, its PubGrub report): "Because you require X and X==Y, we can conclude that your requirements
    # are unsatisfiable" (astral-sh/uv#3053, rstudio/reticulate's snapshots); "Because there is no version of X==Y and you
    # require X==Y, ..." (astral-sh/uv#3548) when the version does not exist.
    # uv wraps its report at the terminal's width: read it as one line.
    flat = re.sub(r"\s+", " ", output)
    uv = re.search(r"you require (\S+?) and (?:you require )?(\S+?),? we can conclude", flat)
    if uv:
        first, second = (re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(.*)", part).groups() for part in uv.groups())  # type: ignore[union-attr]
        requirement = by_key.get(normalized(first[0]))
        if requirement and normalized(first[0]) == normalized(second[0]):
            # One of the two is the file's line, the other the constraints' pin.
            mine = first if first[1].replace(" ", "") == requirement.specifier.replace(" ", "") else second
            pin = second if mine is first else first
            conflict(args, requirement, "".join(pin))
    # pip: "Could not find a version that satisfies the requirement REQ (from -r FILE (line N)) (from versions: ...)",
    # "No matching distribution found for REQ"; uv: "there is no version of REQ", "REQ was not found in the package registry".
    missing = (re.search(r"satisfies the requirement (\S+) \(from -r (.+?) \(line (\d+)\)\)", output)
               or re.search(r"satisfies the requirement ([A-Za-z0-9][A-Za-z0-9._-]*)(\S*)", output)
               or re.search(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)", output)
               or re.search(r"there is no version of ([A-Za-z0-9][A-Za-z0-9._-]*)", output)
               or re.search(r"([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry", output))
    if missing:
        requirement = (from_line(missing.group(2), missing.group(3)) if missing.re.groups == 3 else None) \
            or by_key.get(normalized(re.split(r"[<>=!~;\[ ]", missing.group(1))[0]))
        if requirement:
            versions = re.search(r"\(from versions: ([^)]*)\)", output)
            fail(f"{requirement.text} ({requirement.line.where}) could not be installed: no such distribution or version in the package index"
                 + (f" (versions there: {versions.group(1)})" if versions else "") + ".",
                 "correct the name or the version on that line of Airflow:Requirements (a version for Python "
                 f"{args.python_version}), or remove the line.")


def check_installed(args: argparse.Namespace) -> None:
    """Fails when an avoided range got installed all the same (another requirement pulled it in)."""
    for spec in args.avoid:
        name, _, high = avoid = AvoidedRange.parse(spec)
        completed = subprocess.run([str(python_of(args.venv)), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
        version = completed.stdout.strip()
        if completed.returncode == 0 and version and avoid.contains(version):
            fail(f"{name} {version} was installed, inside {spec}, a range known to be broken.",
                 f"install {name}>={high} into {args.venv}, or delete the environment folder to start over.")


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", required=True, type=Path)
    parser.add_argument("--python-version", required=True, help="major.minor, e.g. 3.12")
    parser.add_argument("--requirement", required=True, help='e.g. "apache-airflow[celery]==3.0.3"')
    parser.add_argument("--constraint", required=True, help="constraints file URL or path")
    # The AppHost decides (uv when it is on PATH, which also runs this script) and says which: one decision, not two.
    parser.add_argument("--installer", choices=["uv", "pip"], required=True)
    parser.add_argument("--index-timeout", type=int, default=15, help="seconds before an unreachable index is given up")
    parser.add_argument("--avoid", action="append", default=[], help='a broken range kept out, "NAME>=LOW,<HIGH" (repeatable)')
    parser.add_argument("--avoid-companion", action="append", default=[], help="a package whose pin goes with an avoided one's")
    parser.add_argument("--requirements", type=Path, help="a user's requirements file (Airflow:Requirements), installed with the same constraints")
    args = parser.parse_args()

    started = time.monotonic()
    wanted = {"requirement": args.requirement, "constraint": args.constraint, "python": args.python_version}
    if args.avoid:
        wanted["avoid"] = args.avoid + args.avoid_companion
    args.user_lines = []
    if args.requirements:
        try:
            args.user_lines, notes, digest = requirements_file.read(args.requirements)
        except OSError as error:
            fail(f"The requirements file {args.requirements} (Airflow:Requirements) could not be read: {error}.",
                 "point Airflow:Requirements at an existing file (relative paths start at the repository's top), or unset it.")
        wanted["requirements"] = {"file": str(args.requirements.resolve()), "sha256": digest}
        asked = f"{args.requirement} and {args.requirements}"
    else:
        asked = args.requirement
    stamp = args.venv / STAMP
    if python_of(args.venv).exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text()) == wanted:
                print(f"Unchanged: {args.venv} already has {asked} for Python {args.python_version}.", flush=True)
                return
        except ValueError:
            pass  # A damaged record: install again.

    uv = shutil.which("uv") if args.installer == "uv" else None
    if args.installer == "uv" and uv is None:
        fail("uv is not on PATH, though it was when the AppHost started.", "install uv again (https://docs.astral.sh/uv/) and restart the AppHost.")

    if uv is None:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        if running != args.python_version:
            fail(
                f"This Python is {running} ({sys.executable}), but Airflow:PythonVersion is {args.python_version}; "
                "Airflow's constraints are made per Python version.",
                f"install Python {args.python_version} as python3 or install uv (which fetches it), "
                f"or set Airflow:PythonVersion={running} if Airflow supports it.",
            )

    check_sources(args, uv)
    try:
        if stamp.exists():
            stamp.unlink()  # Only a finished install is recorded.
        requirements = [args.requirement]
        constraint = avoided(args, requirements)
        check_against_constraints(args, constraint)
        if args.requirements:
            for note in notes:
                print(note, flush=True)
            # One install, one resolution: the user's packages are held to the constraints Airflow is, and cannot undo its pins.
            requirements += ["-r", str(args.requirements)]
        if uv:
            run([uv, "venv", "--allow-existing", "--python", args.python_version, str(args.venv)])
            install = [uv, "pip", "install", "--python", str(python_of(args.venv)), *requirements, "--constraint", constraint]
        else:
            run([sys.executable, "-m", "venv", str(args.venv)])
            install = [str(python_of(args.venv)), "-m", "pip", "install", "--disable-pip-version-check",
                       *requirements, "--constraint", constraint]
        # The probe above already failed fast on an unreachable index; the ~150-package install itself keeps the
        # installers' own retries and timeouts, so one slow read does not abort it.
        run(install)
    except subprocess.CalledProcessError as error:
        output = error.output or ""
        if any(sign in output for sign in UNREACHABLE):
            fail(
                f"The package index or the constraints file could not be reached while installing {args.requirement} (constraints: {args.constraint}).",
                "check the network or proxy (PIP_INDEX_URL / UV_INDEX_URL for a mirror), "
                "or point Airflow:VirtualEnvironment at an environment that already has Airflow.",
            )
        explain_failure(args, output)
        if any(sign in output for sign in NO_SUCH_VERSION):
            fail(
                f"{args.requirement} could not be installed for Python {args.python_version}: no such version, "
                "or none for this Python.",
                "set Airflow:Version to a released Airflow 3 version and Airflow:PythonVersion to a Python it supports.",
            )
        fail(f"'{' '.join(error.cmd)}' failed with exit code {error.returncode} (output above).",
             "read the output above; delete the environment folder to start over.")
    except FileNotFoundError as error:
        fail(f"{error.filename} could not be run.", "install Python 3 with its venv module (Debian: apt-get install python3-venv) or uv.")

    check_installed(args)
    stamp.write_text(json.dumps(wanted))
    print(f"Installed {asked} into {args.venv} in {time.monotonic() - started:.1f} s.", flush=True)


if __name__ == "__main__":
    main()
