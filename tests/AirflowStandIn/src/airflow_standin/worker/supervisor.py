"""What the Celery task ``execute_workload`` does: Airflow 3.0.3's task supervisor.

Follows providers/celery/.../celery_executor_utils.py ``execute_workload`` and
task-sdk/src/airflow/sdk/execution_time/supervisor.py ``supervise``/``ActivitySubprocess``:
- the server is ``[core] execution_api_server_url``, falling back to ``[api] base_url`` + ``/execution/``
  with ``http://localhost:8080`` for a relative base URL;
- the task log is ``[logging] base_log_folder``/``workload.log_path``, JSON lines;
- the task process is started first, then ``PATCH task-instances/{id}/run`` reports it running
  (hostname = ``get_hostname()``, unixname, the task process's pid); if that call fails the task process is
  killed and the error propagates out of the Celery task (so Celery records FAILURE with it);
- the task's stdout/stderr become log lines with ``chan`` stdout/stderr and logger ``task``; the
  supervisor heartbeats every ``[workers] min_heartbeat_interval`` seconds; at the end it sends the final
  state (``PATCH task-instances/{id}/state``): success (and up_for_retry) as soon as the task process reports it, any other
  state once the supervisor has noticed the exit, which its last select() delays by ``[workers] min_heartbeat_interval``
  (so the Celery result trails the task instance's success by that long). A task that fails still ends the Celery task normally
  (``supervise`` returns an exit code, which ``execute_workload`` ignores).
"""

from __future__ import annotations

import getpass
import io
import json
import os
import selectors
import signal
import sys
import time

from airflow_standin import forking
from airflow_standin.config import conf, faults
from airflow_standin.jobs import get_hostname
from airflow_standin.logpaths import local_log_path
from airflow_standin.timeutil import api, utcnow
from airflow_standin.worker.client import Client


def _log(msg: str) -> None:
    print(f"[{utcnow().isoformat(timespec='milliseconds')}] {{supervisor}} {msg}", flush=True)


def execute_workload_json(input: str, celery_task_id: str | None) -> None:
    workload = json.loads(input)
    kind = workload.get("type")
    if kind != "ExecuteTask":
        raise ValueError(f"CeleryExecutor does not know how to handle {kind}")
    ti = workload["ti"]
    _log(f"INFO - [{celery_task_id}] Executing workload in Celery: ti={ti['dag_id']}.{ti['task_id']} "
         f"run_id={ti['run_id']} try_number={ti['try_number']} id={ti['id']}")
    c = conf()
    if faults().get("worker_ignores_execution_api_server_url"):
        server = c.default_execution_api_server_url()
        _log(f"WARNING - fault worker_ignores_execution_api_server_url: using {server}")
    else:
        server = c.execution_api_server_url()
    supervise(ti=ti, dag_rel_path=workload["dag_rel_path"], bundle_info=workload["bundle_info"],
              token=workload["token"], server=server, log_path=workload.get("log_path"))


class _LineSink:
    """Splits a byte stream into lines and writes each as a JSON log record."""

    def __init__(self, write, level: str, chan: str | None, raw_json: bool = False):
        self.buf = b""
        self.write = write
        self.level = level
        self.chan = chan
        self.raw_json = raw_json

    def feed(self, data: bytes) -> None:
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            self._emit(line)

    def close(self) -> None:
        if self.buf:
            self._emit(self.buf)
            self.buf = b""

    def _emit(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if self.raw_json:
            self.write(text)
            return
        record = {"timestamp": api(utcnow()), "level": self.level, "event": text}
        if self.chan:
            record["chan"] = self.chan
        record["logger"] = "task"
        self.write(json.dumps(record))


class _TaskProcess:
    """The task process, forked as ActivitySubprocess.start forks it (WatchedSubprocess: forking.py), with the part of
    subprocess.Popen's interface the supervisor uses: its stdin, stdout and stderr are pipes to the supervisor."""

    def __init__(self, pid: int, stdin, stdout, stderr) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
        self.returncode: int | None = None

    @classmethod
    def start(cls, log_w: int) -> "_TaskProcess":
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()

        def task_process() -> int:
            # _fork_main: the std handles on the supervisor's channels (_reopen_std_io_handles), then the task runner.
            for fd in (stdin_w, out_r, err_r):
                os.close(fd)
            for target, fd in ((0, stdin_r), (1, out_w), (2, err_w)):
                os.dup2(fd, target)
                os.close(fd)
            sys.stdin = io.TextIOWrapper(os.fdopen(0, "rb"))
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb"), line_buffering=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb"), line_buffering=True)
            os.environ["STANDIN_LOG_FD"] = str(log_w)
            from airflow_standin.worker import task_runner

            return task_runner.main()

        pid = forking.start(task_process)
        for fd in (stdin_r, out_w, err_w):
            os.close(fd)
        return cls(pid, os.fdopen(stdin_w, "wb"), os.fdopen(out_r, "rb", buffering=0), os.fdopen(err_r, "rb", buffering=0))

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = forking.wait(self.pid)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


def supervise(*, ti: dict, dag_rel_path: str, bundle_info: dict, token: str, server: str,
              log_path: str | None) -> int:
    start = time.monotonic()
    client = Client(server, token, log=_log)
    log_file = None
    if log_path:
        full = local_log_path(log_path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        log_file = open(full, "a", encoding="utf-8")

    def write(line: str) -> None:
        if log_file is not None:
            log_file.write(line + "\n")
            log_file.flush()

    log_r, log_w = os.pipe()
    proc = _TaskProcess.start(log_w)
    os.close(log_w)
    hostname = get_hostname()
    try:
        ti_context = client.start(ti["id"], proc.pid, hostname, getpass.getuser(), api(utcnow()))
    except BaseException:
        proc.kill()
        proc.wait()
        os.close(log_r)
        if log_file:
            log_file.close()
        raise
    startup = {"ti": ti, "dag_rel_path": dag_rel_path, "bundle_info": bundle_info, "ti_context": ti_context,
               # The task process calls the Task Execution API itself for connections and variables (runtime.py),
               # where Airflow's asks its supervisor over SUPERVISOR_COMMS; the token goes over the stdin pipe only.
               "server": server, "token": client.token}
    proc.stdin.write(json.dumps(startup).encode())
    proc.stdin.close()

    sel = selectors.DefaultSelector()
    sinks = {
        proc.stdout.fileno(): _LineSink(write, "info", "stdout"),
        proc.stderr.fileno(): _LineSink(write, "error", "stderr"),
        log_r: _LineSink(write, "info", None, raw_json=True),
    }
    for fd in sinks:
        sel.register(fd, selectors.EVENT_READ)
    interval = conf().getfloat("workers", "min_heartbeat_interval", 5)
    max_failed = conf().getint("workers", "max_failed_heartbeats", 3)
    next_heartbeat = time.monotonic() + interval
    failed_heartbeats = 0
    open_fds = set(sinks)
    while open_fds:
        for key, _ in sel.select(timeout=0.5):
            data = os.read(key.fd, 65536)
            if data:
                sinks[key.fd].feed(data)
            else:
                sinks[key.fd].close()
                sel.unregister(key.fd)
                open_fds.discard(key.fd)
        if time.monotonic() >= next_heartbeat and proc.poll() is None:
            try:
                client.heartbeat(ti["id"], proc.pid, hostname)
                failed_heartbeats = 0
            except Exception as e:
                failed_heartbeats += 1
                _log(f"WARNING - Failed to send heartbeat ({failed_heartbeats}/{max_failed}): {e}")
                if failed_heartbeats >= max_failed:
                    _log("ERROR - Too many failed heartbeats; killing the task process")
                    proc.kill()
            next_heartbeat = time.monotonic() + interval
    # Airflow 3.0.3's supervisor (ActivitySubprocess._monitor_subprocess) loops while the exit code is unknown: once the task
    # process has closed its sockets the selector watches nothing, so its last select() sleeps out its whole timeout,
    # min(heartbeat timeout, [workers] min_heartbeat_interval), before the exit is read. A task that succeeded has already
    # been reported (SucceedTask: PATCH .../state success, STATES_SENT_DIRECTLY); any other final state is sent after that
    # sleep (update_task_state_if_needed). So execute_workload returns, and Celery writes its result, about
    # min_heartbeat_interval seconds after the task instance became success (5.06 s measured on real 3.0.3).
    exit_code = proc.wait()
    os.close(log_r)
    # The task runner retries through the API (RetryTask) when the /run answer said should_retry.
    final_state = "success" if exit_code == 0 else ("up_for_retry" if ti_context.get("should_retry") else "failed")
    sent_directly = final_state in ("success", "up_for_retry")
    try:
        if sent_directly:
            client.finish(ti["id"], final_state, api(utcnow()))
        time.sleep(interval)  # the last select(), on no sockets
        if not sent_directly:
            client.finish(ti["id"], final_state, api(utcnow()))
    finally:
        sel.close()
        if log_file:
            log_file.close()
    _log(f"INFO - Task finished task_instance_id={ti['id']} exit_code={exit_code} "
         f"duration={time.monotonic() - start:.3f} final_state={final_state}")
    return exit_code
