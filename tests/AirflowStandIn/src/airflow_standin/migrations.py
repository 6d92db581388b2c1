"""The migration scripts' heads, as Alembic's ScriptDirectory finds them (``env.script.get_heads()``).

Airflow's scripts are airflow/migrations/versions/*.py (alembic.ini: ``script_location = %(here)s/migrations``), each with
``revision`` and ``down_revision`` at its top level; the heads are the revisions no other script revises. The stand-in's own
chain lives at the same place (tests/AirflowStandIn/src/airflow/migrations/versions), in whichever ``airflow`` package the
environment imports (a test may put another first on the path, with a script more, as a newer Airflow's), read here with
``ast``, never imported.
"""

from __future__ import annotations

import ast
import glob
import os


def versions_folder() -> str:
    import importlib.util

    spec = importlib.util.find_spec("airflow")
    return os.path.join(list(spec.submodule_search_locations)[0], "migrations", "versions")


def _identifiers(path: str) -> tuple[str | None, tuple[str, ...]]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.literal_eval(node.value) if node.targets[0].id in ("revision", "down_revision") else None
    down = found.get("down_revision")
    downs = () if down is None else (down,) if isinstance(down, str) else tuple(down)
    return found.get("revision"), downs  # type: ignore[return-value]


def revisions() -> dict[str, tuple[str, ...]]:
    """Every script's revision and what it revises."""
    chain: dict[str, tuple[str, ...]] = {}
    for path in sorted(glob.glob(os.path.join(versions_folder(), "*.py"))):
        revision, downs = _identifiers(path)
        if revision is not None:
            chain[revision] = downs
    return chain


def heads() -> set[str]:
    chain = revisions()
    revised = {down for downs in chain.values() for down in downs}
    return {revision for revision in chain if revision not in revised}
