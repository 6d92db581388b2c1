"""A minimal stand-in of Airflow 3's authoring API: ``airflow.sdk.DAG``, ``task`` and
``airflow.providers.standard.operators.python.PythonOperator`` (what the repository's DAGs use).

Shapes follow task-sdk/src/airflow/sdk/definitions/dag.py and baseoperator.py: DAG as a context manager
that collects the operators created inside it, ``default_args``, ``>>``/``<<`` dependencies, the
``[operators] default_queue`` and ``[core] default_task_retries`` defaults, unknown keyword arguments
refused with TypeError, duplicate task ids refused. Only PythonOperator (and @task) really execute.
"""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timedelta
from typing import Any, Callable

_KEY_RE = re.compile(r"^[\w.-]+$")

_dag_stack: list["DAG"] = []
autoregistered_dags: list["DAG"] = []

_DAG_KWARGS = {
    "description", "schedule", "start_date", "end_date", "template_searchpath", "template_undefined",
    "user_defined_macros", "user_defined_filters", "default_args", "max_active_tasks", "max_active_runs",
    "max_consecutive_failed_dag_runs", "dagrun_timeout", "sla_miss_callback", "catchup", "on_success_callback",
    "on_failure_callback", "doc_md", "params", "access_control", "is_paused_upon_creation", "jinja_environment_kwargs",
    "render_template_as_native_obj", "tags", "owner_links", "auto_register", "fail_fast", "dag_display_name",
    "deadline", "disable_bundle_versioning", "default_view", "orientation",
}

_OPERATOR_KWARGS = {
    "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay", "retry_exponential_backoff",
    "max_retry_delay", "start_date", "end_date", "depends_on_past", "ignore_first_depends_on_past",
    "wait_for_past_depends_before_skipping", "wait_for_downstream", "dag", "params", "default_args",
    "priority_weight", "weight_rule", "queue", "pool", "pool_slots", "sla", "execution_timeout",
    "on_execute_callback", "on_failure_callback", "on_success_callback", "on_retry_callback",
    "on_skipped_callback", "pre_execute", "post_execute", "trigger_rule", "resources", "run_as_user",
    "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor", "executor_config", "do_xcom_push",
    "multiple_outputs", "inlets", "outlets", "task_group", "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
    "task_display_name", "logger_name", "allow_nested_operators",
}


def _validate_key(kind: str, key: str) -> None:
    if not isinstance(key, str):
        raise TypeError(f"The key has to be a string and is {type(key)}:{key}")
    if len(key) > 250:
        raise ValueError(f"The key has to be less than 250 characters, not {len(key)}")
    if not _KEY_RE.match(key):
        raise ValueError(
            f"The key {key!r} has to be made of alphanumeric characters, dashes, dots, and underscores exclusively"
        )


def _conf_value(section: str, key: str, fallback: str) -> str:
    try:
        from airflow_standin.config import conf

        return conf().get(section, key) or fallback
    except Exception:
        return fallback


class DAG:
    def __init__(self, dag_id: str, **kwargs: Any):
        unknown = set(kwargs) - _DAG_KWARGS
        if unknown:
            raise TypeError(f"DAG.__init__() got an unexpected keyword argument '{sorted(unknown)[0]}'")
        _validate_key("dag_id", dag_id)
        self.dag_id = dag_id
        self.description = kwargs.get("description")
        self.schedule = kwargs.get("schedule")
        self.start_date = kwargs.get("start_date")
        self.catchup = kwargs.get("catchup", False)
        self.tags = list(kwargs.get("tags") or [])
        self.default_args = dict(kwargs.get("default_args") or {})
        self.max_active_tasks = kwargs.get("max_active_tasks") or int(_conf_value("core", "max_active_tasks_per_dag", "16"))
        self.max_active_runs = kwargs.get("max_active_runs") or int(_conf_value("core", "max_active_runs_per_dag", "16"))
        self.max_consecutive_failed_dag_runs = kwargs.get("max_consecutive_failed_dag_runs") or int(
            _conf_value("core", "max_consecutive_failed_dag_runs_per_dag", "0"))
        self.is_paused_upon_creation = kwargs.get("is_paused_upon_creation")
        self.dag_display_name = kwargs.get("dag_display_name") or dag_id
        self.params = kwargs.get("params") or {}
        self.task_dict: dict[str, BaseOperator] = {}
        self.fileloc = None
        try:
            frame = inspect.stack()[1]
            self.fileloc = frame.filename
        except Exception:
            pass

    def __enter__(self) -> "DAG":
        _dag_stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _dag_stack.pop()
        if self not in autoregistered_dags:
            autoregistered_dags.append(self)

    def add_task(self, task: "BaseOperator") -> None:
        if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
            raise DuplicateTaskIdFound(f"Task id '{task.task_id}' has already been added to the DAG")
        self.task_dict[task.task_id] = task

    @property
    def tasks(self) -> list["BaseOperator"]:
        return list(self.task_dict.values())

    def get_task(self, task_id: str) -> "BaseOperator":
        if task_id in self.task_dict:
            return self.task_dict[task_id]
        raise TaskNotFound(f"Task {task_id} not found")

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    # --- what the DAG processor records ---------------------------------------------------------
    def timetable(self) -> tuple[str | None, str | None]:
        s = self.schedule
        if s is None:
            return "None", "Never, external triggers only"
        if s == "@once":
            return "@once", "Once, as soon as possible"
        if s == "@continuous":
            return "@continuous", "As frequently as possible, but only one run at a time."
        if isinstance(s, timedelta):
            return str(s), str(s)
        if isinstance(s, str):
            return s, None
        return repr(s), None

    def serialize(self) -> dict[str, Any]:
        summary, description = self.timetable()
        owners = sorted({t.owner for t in self.tasks}) or ["airflow"]
        downstream = {t.task_id: set(t.downstream_task_ids) for t in self.tasks}

        def weight(task_id: str, seen: set[str] | None = None) -> set[str]:
            seen = seen if seen is not None else set()
            for d in downstream.get(task_id, ()):
                if d not in seen:
                    seen.add(d)
                    weight(d, seen)
            return seen

        return {
            "dag_id": self.dag_id,
            "dag_display_name": self.dag_display_name,
            "description": self.description,
            "tags": sorted(set(self.tags)),
            "owners": owners,
            "timetable_summary": summary,
            "timetable_description": description,
            "max_active_tasks": self.max_active_tasks,
            "max_active_runs": self.max_active_runs,
            "max_consecutive_failed_dag_runs": self.max_consecutive_failed_dag_runs,
            "has_task_concurrency_limits": any(
                t.max_active_tis_per_dag is not None or t.max_active_tis_per_dagrun is not None for t in self.tasks),
            "is_paused_upon_creation": self.is_paused_upon_creation,
            "tasks": [
                {
                    "task_id": t.task_id,
                    "task_display_name": t.task_display_name,
                    "operator": type(t).__name__,
                    "owner": t.owner,
                    "queue": t.queue,
                    "pool": t.pool,
                    "pool_slots": t.pool_slots,
                    "priority_weight": t.priority_weight + len(weight(t.task_id)),
                    "retries": t.retries,
                    "retry_delay": t.retry_delay.total_seconds(),
                    "executor": t.executor,
                    "trigger_rule": t.trigger_rule,
                    "upstream_task_ids": sorted(t.upstream_task_ids),
                }
                for t in self.tasks
            ],
        }


class DuplicateTaskIdFound(Exception):
    pass


class TaskNotFound(Exception):
    pass


class BaseOperator:
    def __init__(self, task_id: str, **kwargs: Any):
        unknown = set(kwargs) - _OPERATOR_KWARGS
        if unknown:
            raise TypeError(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were:\n**kwargs: {dict((k, kwargs[k]) for k in sorted(unknown))}"
            )
        _validate_key("task_id", task_id)
        dag = kwargs.pop("dag", None) or (_dag_stack[-1] if _dag_stack else None)
        defaults = dict(dag.default_args) if dag else {}
        defaults.update(kwargs.pop("default_args", None) or {})
        for key, value in defaults.items():
            if key in _OPERATOR_KWARGS and key not in kwargs and key != "dag":
                kwargs[key] = value
        self.task_id = task_id
        self.task_display_name = kwargs.get("task_display_name") or task_id
        self.owner = kwargs.get("owner") or _conf_value("operators", "default_owner", "airflow")
        self.queue = kwargs.get("queue") or _conf_value("operators", "default_queue", "default")
        self.pool = kwargs.get("pool") or "default_pool"
        self.pool_slots = int(kwargs.get("pool_slots") or 1)
        self.priority_weight = int(kwargs.get("priority_weight") or 1)
        retries = kwargs.get("retries")
        self.retries = int(retries if retries is not None else _conf_value("core", "default_task_retries", "0"))
        retry_delay = kwargs.get("retry_delay", timedelta(seconds=300))
        self.retry_delay = retry_delay if isinstance(retry_delay, timedelta) else timedelta(seconds=float(retry_delay))
        self.executor = kwargs.get("executor")
        self.trigger_rule = kwargs.get("trigger_rule") or "all_success"
        self.do_xcom_push = kwargs.get("do_xcom_push", True)
        self.max_active_tis_per_dag = kwargs.get("max_active_tis_per_dag")
        self.max_active_tis_per_dagrun = kwargs.get("max_active_tis_per_dagrun")
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.dag = dag
        if dag is not None:
            dag.add_task(self)

    # dependencies
    def set_downstream(self, other: "BaseOperator | list[BaseOperator]") -> None:
        for o in other if isinstance(other, (list, tuple)) else [other]:
            self.downstream_task_ids.add(o.task_id)
            o.upstream_task_ids.add(self.task_id)

    def set_upstream(self, other: "BaseOperator | list[BaseOperator]") -> None:
        for o in other if isinstance(other, (list, tuple)) else [other]:
            o.set_downstream(self)

    def __rshift__(self, other):
        self.set_downstream(other)
        return other

    def __lshift__(self, other):
        self.set_upstream(other)
        return other

    def __rrshift__(self, other):
        self.set_upstream(other)
        return self

    def __rlshift__(self, other):
        self.set_downstream(other)
        return self

    def execute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} is not simulated by the Airflow stand-in")

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"


class PythonOperator(BaseOperator):
    def __init__(self, *, task_id: str, python_callable: Callable, op_args: list | None = None,
                 op_kwargs: dict | None = None, templates_dict: dict | None = None,
                 templates_exts: list | None = None, show_return_value_in_logs: bool = True, **kwargs: Any):
        super().__init__(task_id=task_id, **kwargs)
        if not callable(python_callable):
            raise AirflowException("`python_callable` param must be callable")
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.show_return_value_in_logs = show_return_value_in_logs

    def determine_kwargs(self, context: dict[str, Any]) -> dict[str, Any]:
        """KeywordParameters.determine: everything for **kwargs, else only the names the callable takes."""
        merged = {**context, **self.op_kwargs}
        sig = inspect.signature(self.python_callable)
        if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            return merged
        names = [n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        names = names[len(self.op_args):]
        return {n: merged[n] for n in names if n in merged}

    def execute(self, context: dict[str, Any]) -> Any:
        return self.python_callable(*self.op_args, **self.determine_kwargs(context))


class AirflowException(Exception):
    pass


def task(python_callable: Callable | None = None, **task_kwargs: Any):
    """@task: calling the decorated function inside a DAG adds a PythonOperator."""

    def decorate(fn: Callable):
        def make(*args: Any, **kwargs: Any) -> PythonOperator:
            return PythonOperator(task_id=task_kwargs.get("task_id") or fn.__name__, python_callable=fn,
                                  op_args=list(args), op_kwargs=kwargs,
                                  **{k: v for k, v in task_kwargs.items() if k != "task_id"})

        make.__wrapped__ = fn  # type: ignore[attr-defined]
        return make

    return decorate(python_callable) if python_callable is not None else decorate


def find_dags(module_globals: dict[str, Any]) -> list[DAG]:
    """DagBag: DAG objects at module level plus those used as context managers (auto-registered)."""
    found: dict[str, DAG] = {}
    for value in list(module_globals.values()) + autoregistered_dags:
        if isinstance(value, DAG):
            found.setdefault(value.dag_id, value)
    return list(found.values())


__all__ = ["DAG", "BaseOperator", "PythonOperator", "task", "datetime", "timedelta"]
