"""The task process the supervisor starts (task-sdk execution_time/task_runner.py, reduced).

Reads its start-up details on stdin, writes structured log records (JSON lines) to the file descriptor
in ``STANDIN_LOG_FD``, imports the DAG file from the bundle, runs the task's ``execute`` and exits 0
(success) or 1 (failed). The task's own prints go to stdout, which the supervisor logs as ``chan: stdout``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import traceback
import types

from airflow_standin.timeutil import api, utcnow

_log_file = None


def slog(event: str, level: str = "info", logger: str = "task", **extra) -> None:
    record = {"timestamp": api(utcnow()), "level": level, "event": event, **extra, "logger": logger}
    _log_file.write(json.dumps(record, default=str) + "\n")
    _log_file.flush()


def _error_detail(exc: BaseException) -> list[dict]:
    frames = [{"filename": f.filename, "lineno": f.lineno, "name": f.name}
              for f in traceback.extract_tb(exc.__traceback__)]
    return [{"exc_type": type(exc).__name__, "exc_value": str(exc), "syntax_error": None, "is_cause": False,
             "frames": frames}]


def main() -> int:
    global _log_file
    _log_file = os.fdopen(int(os.environ["STANDIN_LOG_FD"]), "w", buffering=1)
    startup = json.loads(sys.stdin.read())
    ti = startup["ti"]
    bundle = startup["bundle_info"]["name"]
    # task_runner.parse: DagBundlesManager().get_bundle(name) from this process's own [dag_processor]
    # dag_bundle_config_list, and the bundle's root on sys.path so that its files share util modules.
    from airflow_standin.config import conf

    bundle_root = conf().dag_bundle_path(bundle)
    if bundle_root not in sys.path:
        sys.path.append(bundle_root)
    path = os.path.join(bundle_root, startup["dag_rel_path"])
    slog(f"DAG bundles loaded: {bundle}", logger="airflow.dag_processing.bundles.manager.DagBundlesManager")
    slog(f"Filling up the DagBag from {path}", logger="airflow.models.dagbag.DagBag")

    from airflow_standin import authoring

    dag = None
    try:
        stem = os.path.splitext(os.path.basename(path))[0]
        mod_name = f"unusual_prefix_{hashlib.sha1(path.encode('utf-8')).hexdigest()}_{stem}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        dag = next((d for d in authoring.find_dags(vars(module)) if d.dag_id == ti["dag_id"]), None)
    except Exception as e:
        slog(f"Failed to import: {path}", level="error", logger="airflow.models.dagbag.DagBag",
             error_detail=_error_detail(e))
    if dag is None:
        slog("DAG not found during start up", level="error", dag_id=ti["dag_id"], bundle=startup["bundle_info"],
             path=startup["dag_rel_path"])
        return 1
    try:
        task = dag.get_task(ti["task_id"])
    except Exception as e:
        slog("Task not found during start up", level="error", error_detail=_error_detail(e))
        return 1

    dag_run = startup.get("ti_context", {}).get("dag_run", {})
    ti_obj = types.SimpleNamespace(**ti)
    # task_runner.py RuntimeTaskInstance.get_template_context and definitions/param.py process_params: the DAG's
    # params, then the task's, then the run's conf when [core] dag_run_conf_overrides_params (default True).
    params = dict(dag.params)
    params.update(getattr(task, "params", None) or {})
    from airflow_standin.config import conf

    if conf().getboolean("core", "dag_run_conf_overrides_params", fallback=True) and dag_run.get("conf"):
        params.update(dag_run["conf"])
    context = {
        "dag": dag, "task": task, "ti": ti_obj, "task_instance": ti_obj, "run_id": ti["run_id"],
        "dag_run": types.SimpleNamespace(**dag_run), "logical_date": dag_run.get("logical_date"),
        "params": params, "conf": None, "try_number": ti["try_number"], "map_index": ti["map_index"],
    }
    # Connection.get, Variable.get and get_current_context() inside the task (runtime.py).
    from airflow_standin import runtime
    from airflow_standin.worker.client import Client

    client = Client(startup["server"], startup["token"],
                    log=lambda msg: slog(msg, level="warning", logger="airflow.sdk.api.client"))
    runtime.set_task_runtime(client, slog, context)
    op_logger = f"airflow.task.operators.airflow.providers.standard.operators.python.{type(task).__name__}"
    try:
        result = task.execute(context)
    except BaseException as e:
        slog("Task failed with exception", level="error", error_detail=_error_detail(e))
        return 1
    if getattr(task, "show_return_value_in_logs", True):
        slog(f"Done. Returned value was: {result}", logger=op_logger)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.exit(code)
