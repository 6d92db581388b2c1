"""Child processes forked as Airflow 3.0.3 forks them: after the process's telemetry has started.

task-sdk/src/airflow/sdk/execution_time/supervisor.py ``WatchedSubprocess.start`` makes its socket pairs and calls
``os.fork()``; the child runs ``_fork_main`` (signals reset, std handles on the sockets, only the atexit handlers
registered after the fork, then ``os._exit``). Airflow 3.0 forks this way for every task (``supervise`` ->
``ActivitySubprocess``, in a Celery pool process), for every DAG file it parses (``DagFileProcessorProcess``) and for
the triggerer's ``TriggerRunner`` (``TriggerRunnerSupervisor``). Each of these processes has started Airflow's Stats
and Trace before it forks, so the child inherits the OpenTelemetry SDK's exporters, with their open connection
(otel.py). The stand-in forks at the same places: worker/supervisor.py, dag_processor.py, triggerer.py.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable


def start(target: Callable[[], int | None]) -> int:
    """Forks; the child runs ``target`` and leaves with ``os._exit`` (its exit code), the parent gets the child's pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 124
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        code = target() or 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def wait(pid: int) -> int:
    """The child's exit code (a signal's number negated), once it has ended."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
