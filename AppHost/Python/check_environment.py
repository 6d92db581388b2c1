"""Checks an existing virtual environment without importing what it holds.

Run by the AppHost with the environment's own python, as a one-shot resource, for Airflow:VirtualEnvironment.
Reading the installed distributions' metadata takes a few milliseconds where importing Airflow (`airflow version`)
takes seconds; a damaged environment is still found: the distribution's metadata, its top-level module and the
executable must all be there.
Standard library only.

  --distribution NAME --version VERSION   NAME must be installed at exactly VERSION (the setting --setting names)
  --module MODULE                          must be importable (found, not imported)
  --executable NAME                        bin/NAME must exist beside this python
  --avoid "NAME>=LOW,<HIGH"                NAME, when installed, must be outside that range (repeatable)
  --requirements FILE                      each requirement of the file (Airflow:Requirements) must be met by what is
                                           installed (markers evaluated; options lines skipped, -r files followed)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import sys
import time

import requirements_file
from avoided_range import AvoidedRange


def fail(message: str, fix: str) -> None:
    print(f"ERROR: {message}\nFix: {fix}", file=sys.stderr, flush=True)
    sys.exit(1)


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_requirements(path: str) -> str:
    """Fails, naming each unmet line (its file and number) and what is installed, unless every requirement of the file that
    applies here is met; nothing is installed or imported. Returns what was checked, for the summary."""
    try:
        lines, notes, _ = requirements_file.read(path)
    except OSError as error:
        fail(f"The requirements file {path} (Airflow:Requirements) could not be read: {error}.",
             "point Airflow:Requirements at an existing file (relative paths start at the repository's top), or unset it.")
    for note in notes:
        print(note, flush=True)
    unmet, checked = [], 0
    for line in lines:
        try:
            requirement = requirements_file.parse(line)
        except ValueError as error:
            fail(f"{error}.", f"correct line {line.number} of {line.file} (Airflow:Requirements), in pip's requirements format.")
        if requirement is None:
            print(f"{line.where}: '{line.text}' names no distribution (add #egg=NAME to check it): skipped", flush=True)
            continue
        if not requirement.applies():
            print(f"{line.where}: '{requirement.text}' does not apply here (its marker '{requirement.marker}' excludes this Python): skipped", flush=True)
            continue
        checked += 1
        version = installed(requirement.name)
        if version is None:
            unmet.append(f"{requirement.text} ({line.where}): {requirement.name} is not installed")
        elif requirement.url is None:
            try:
                allowed = requirement.allows(version)
            except ValueError as error:
                allowed, version = False, f"{version} ({error})"
            if not allowed:
                unmet.append(f"{requirement.text} ({line.where}): {requirement.name} {version} is installed")
    if unmet:
        pip = os.path.join(os.path.dirname(sys.executable), "pip")
        # An environment made by uv has no pip of its own.
        install = f"{pip} install -r {path}" if os.path.isfile(pip) else f"uv pip install --python {sys.executable} -r {path}"
        fail(f"{sys.prefix} does not meet Airflow:Requirements ({path}); the AppHost checks an existing environment and installs nothing:\n  "
             + "\n  ".join(unmet),
             f"install the file into the environment ({install}), or change those lines.")
    return f"the {checked} requirement{'s' if checked != 1 else ''} of {path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distribution", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--setting", default="the version asked for", help="the setting that asks for --version, for messages")
    parser.add_argument("--module", required=True)
    parser.add_argument("--executable", required=True)
    parser.add_argument("--avoid", action="append", default=[])
    parser.add_argument("--why", action="append", default=[], help="why each --avoid range is avoided, in the same order")
    parser.add_argument("--requirements", help="a user's requirements file (Airflow:Requirements) the environment must meet")
    args = parser.parse_args()
    started = time.monotonic()
    where = sys.prefix

    version = installed(args.distribution)
    if version is None:
        fail(f"{where} has no {args.distribution} installed (no metadata for it).",
             f"install {args.distribution}=={args.version} into it, or point Airflow:VirtualEnvironment at an environment that has it.")
    if version != args.version:
        fail(f"{where} has {args.distribution} {version}, but {args.setting} is {args.version}: the AppHost configures Airflow per release.",
             f"set {args.setting}={version}, or install {args.distribution}=={args.version} into the environment.")
    if importlib.util.find_spec(args.module) is None:
        fail(f"{where} has {args.distribution} {version}'s metadata but its module '{args.module}' cannot be found: the environment is damaged.",
             f"reinstall {args.distribution}=={args.version} into it.")
    executable = os.path.join(os.path.dirname(sys.executable), args.executable)
    if not os.path.isfile(executable):
        fail(f"{where} has no {executable}: the environment is damaged.", f"reinstall {args.distribution}=={args.version} into it.")
    found = [f"{args.distribution} {version}"]
    for index, spec in enumerate(args.avoid):
        name, _, high = avoid = AvoidedRange.parse(spec)
        other = installed(name)
        if other is None:
            continue
        found.append(f"{name} {other}")
        if avoid.contains(other):
            why = args.why[index] if index < len(args.why) else "a range known to be broken"
            fail(f"{where} has {name} {other}: {why}.", f"install '{name}>={high}' into the environment.")
    if args.requirements:
        found.append(check_requirements(args.requirements))
    print(f"Ready: {where} has {', '.join(found)} ({time.monotonic() - started:.2f} s, Airflow not imported).", flush=True)


if __name__ == "__main__":
    main()
