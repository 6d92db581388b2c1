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
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import sys
import time

from avoided_range import AvoidedRange


def fail(message: str, fix: str) -> None:
    print(f"ERROR: {message}\nFix: {fix}", file=sys.stderr, flush=True)
    sys.exit(1)


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distribution", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--setting", default="the version asked for", help="the setting that asks for --version, for messages")
    parser.add_argument("--module", required=True)
    parser.add_argument("--executable", required=True)
    parser.add_argument("--avoid", action="append", default=[])
    parser.add_argument("--why", action="append", default=[], help="why each --avoid range is avoided, in the same order")
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
    print(f"Ready: {where} has {', '.join(found)} ({time.monotonic() - started:.2f} s, Airflow not imported).", flush=True)


if __name__ == "__main__":
    main()
