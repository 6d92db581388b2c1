"""Parse one DAG file in its own process (as Airflow 3's DAG processor does) and print JSON.

``python -m airflow_standin.dag_parsing FILE [DEPTH]`` prints ``{"dags": [...], "import_error": str | null}`` on
its original stdout; the DAG file's own output goes to stderr. The module is imported under
``unusual_prefix_<sha1 of path>_<stem>`` and, on failure, the error is
``traceback.format_exc(limit=-[core] dagbag_import_error_traceback_depth)`` (default 2), as in
airflow-core/src/airflow/models/dagbag.py ``_load_modules_from_file``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import traceback


def parse(path: str, depth: int = 2) -> dict:
    from airflow_standin import authoring

    stem = os.path.splitext(os.path.basename(path))[0]
    mod_name = f"unusual_prefix_{hashlib.sha1(path.encode('utf-8')).hexdigest()}_{stem}"
    try:
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        dags = authoring.find_dags(vars(module))
        return {"dags": [d.serialize() for d in dags], "import_error": None}
    except Exception:
        authoring.autoregistered_dags.clear()
        return {"dags": [], "import_error": traceback.format_exc(limit=-depth)}


def main() -> None:
    path = os.path.abspath(sys.argv[1])
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the DAG file's prints go to stderr
    sys.stdout = sys.stderr
    result = parse(path, depth)
    out.write(json.dumps(result))
    out.flush()


if __name__ == "__main__":
    main()
