"""Celery on each broker, side by side: throughput, end-to-end latency, the broker's memory and CPU.

Run with the Python that has Celery and redis-py (the deployment's Airflow virtual environment):

    BENCH_DRAGONFLY_BROKER_URL=redis://:PASSWORD@host:port/0 \\
    BENCH_DRAGONFLY_RESULT_BACKEND_URL=redis://:PASSWORD@host:port/1 \\
    BENCH_REDIS_BROKER_URL=... BENCH_REDIS_RESULT_BACKEND_URL=... \\
    python broker_benchmark.py --brokers dragonfly,redis --output .airflow/broker-benchmark.json

The URLs come only from the environment, never the command line, where any user of the machine could
read the password (``ps``). Nothing the script prints or writes contains a password.

What runs is real Celery, configured as Airflow's Celery executor configures it (the Celery provider's
``DEFAULT_CELERY_CONFIG``, as ``tests/AirflowStandIn/src/airflow_standin/worker/celery_app.py`` copies it):
json only, ``task_acks_late``, prefetch multiplier 1, ``task_track_started``, a visibility timeout, the
broker on database 0 and the results on database 1. Real ``celery worker`` processes (prefork pool, started
as Airflow starts them, with ``-O fair``) run one trivial task, so the broker and Celery's traffic through it
are what is measured, not the task. Producers are processes that publish with ``apply_async``, as the
executor does.

Each broker gets its own workers, started once for the whole run. The measured rounds alternate between the
brokers (dragonfly, redis, dragonfly, redis, ...), so noise on the machine falls on both alike. A round has
two phases of ``--tasks-per-round`` tasks each:

* fixed concurrency: ``--concurrency`` tasks in flight at all times (each publisher waits for its task's
  result before it publishes the next);
* saturation: ``--saturation-concurrency`` tasks in flight, several times what the workers run at once, so
  the queue never runs dry and the workers and the broker are the limit. Still a closed loop: every producer
  reads its results as they come, so no subscriber's pub/sub messages pile up unread (Redis cuts such a
  subscriber off at 32 MB; Garnet stops the publisher, here a worker storing a result, until it reads).

Tasks per second of a phase: its tasks over the time from the first publish to the last result. Latency of
a task: from just before ``apply_async`` to the moment the worker stamps the result it stores (the result's
``date_done``; the worker runs on this machine, so the clocks are the same clock). ``latency_ms`` is that of
the fixed-concurrency phases, where the latency is the system's own; at saturation it is mostly time spent
waiting in the queue, reported apart as ``latency_ms_at_saturation``.

Exit status: 0 when every broker's run worked; 1 with one line naming the broker and the cause otherwise
(2 for a wrong command line). The worker processes are stopped in every case.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import unquote, urlsplit

PROGRAM = "broker-benchmark"

try:
    import celery
    import kombu
    import redis
    from celery import Celery, bootsteps
    from celery.exceptions import TimeoutError as CeleryTimeoutError
except ImportError as missing:  # One clear line, not a traceback: the AppHost shows it as the resource's failure.
    print(f"{PROGRAM}: {sys.executable} cannot import {missing.name}: run the benchmark with the Python of the "
          f"Airflow environment (Celery and redis-py)", file=sys.stderr)
    sys.exit(1)

# The task's name and the queue: not Airflow's ("execute_workload" on "default"), so a deployment's own Celery
# workers on the same broker never take a benchmark task, and the benchmark's workers never take Airflow's.
TASK_NAME = "broker_benchmark.echo"
QUEUE = "broker_benchmark"
# Airflow 3.0's Celery provider sets this for Redis brokers unless [celery_broker_transport_options] does.
VISIBILITY_TIMEOUT = 86400
# Set in a worker's environment: which broker's URLs (BENCH_<NAME>_...) that worker's app is configured with.
WORKER_BROKER_VARIABLE = "BROKER_BENCHMARK_WORKER_BROKER"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# How often the broker's memory is sampled while its round runs: often enough to see a peak of a short phase,
# seldom enough that INFO is no load beside Celery's own traffic.
MEMORY_SAMPLE_SECONDS = 0.1
# How long a producer waits for a result's pub/sub message before it reads the result from the backend itself.
RESULT_WAIT_SECONDS = 1.0
# See kombu_has_tick_delay(): short against a task's few milliseconds, long enough to cost the worker little.
TICK_DELAY_FIX_SECONDS = 0.002


class BenchmarkError(Exception):
    """A failure to report as one line: which broker (if any) and why."""

    def __init__(self, broker: str | None, cause: str):
        super().__init__(cause)
        self.broker = broker
        self.cause = cause

    def line(self) -> str:
        return f"{PROGRAM}: {self.broker}: {self.cause}" if self.broker else f"{PROGRAM}: {self.cause}"


class Stopped(BaseException):
    """SIGTERM: raised in the main thread so that every ``finally`` stops the workers."""


def broker_variable(name: str) -> str:
    return f"BENCH_{name.upper()}_BROKER_URL"


def result_variable(name: str) -> str:
    return f"BENCH_{name.upper()}_RESULT_BACKEND_URL"


def urls_from_environment(name: str) -> tuple[str, str]:
    """The broker's and the result backend's URL, checked for the form Celery's Redis transport takes."""
    urls = []
    for variable in (broker_variable(name), result_variable(name)):
        url = os.environ.get(variable, "")
        if not url:
            raise BenchmarkError(name, f"{variable} is not set (the URLs come from the environment only)")
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise BenchmarkError(name, f"{variable} is not a redis:// URL")
        urls.append(url)
    return urls[0], urls[1]


def passwords() -> list[str]:
    """Every password in a BENCH_*_URL variable, as written and URL-decoded: what scrub() removes."""
    found = set()
    for variable, url in os.environ.items():
        if variable.startswith("BENCH_") and variable.endswith("_URL"):
            try:
                password = urlsplit(url).password
            except ValueError:
                continue
            if password:
                found.update({password, unquote(password)})
    # Longest first, so a password that contains another is removed whole.
    return sorted(found, key=len, reverse=True)


def scrub(text: str) -> str:
    for password in passwords():
        text = text.replace(password, "***")
    return text


def where(url: str) -> str:
    """host:port/db of a URL, without its password: for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


def celery_config(broker_url: str, result_backend: str, worker_concurrency: int) -> dict:
    """Airflow's DEFAULT_CELERY_CONFIG (Celery provider, default_celery.py) with the benchmark's queue."""
    return {
        "accept_content": ["json"],
        "event_serializer": "json",
        "task_serializer": "json",
        "result_serializer": "json",
        "worker_prefetch_multiplier": 1,
        "task_acks_late": True,
        "task_default_queue": QUEUE,
        "task_default_exchange": QUEUE,
        "task_track_started": True,
        "broker_url": broker_url,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT},
        "broker_connection_retry_on_startup": True,
        "result_backend": result_backend,
        "worker_concurrency": worker_concurrency,
        "worker_enable_remote_control": True,
        "worker_redirect_stdouts": False,
        "worker_hijack_root_logger": False,
    }


def echo(payload: str) -> int:
    """The benchmark's task: trivial, so the broker is what is measured. Returns the payload's length, which
    the producer checks, as small a result as Airflow's (None)."""
    return len(payload)


def kombu_has_tick_delay() -> bool:
    """Kombu before 5.3 (Debian 12's 5.2.4) ran the event loop's tick callbacks before the callbacks made ready in
    the previous turn, so a worker with acks_late and prefetch multiplier 1 acked a task and only asked the broker
    for the next one after the loop's 1 s poll (celery/celery#7718, fixed by kombu's "hub: tick delay fix", #1587,
    in 5.3.0). Airflow 3's Celery 5.5 has the fix; without it here every task would wait up to a second whatever
    the broker."""
    return tuple(kombu.VERSION[:2]) < (5, 3)


class ShortPoll(bootsteps.StartStopStep):
    """Where kombu has the tick delay: a timer in the worker's event loop every TICK_DELAY_FIX_SECONDS, so the
    loop's poll returns that soon and the next tick asks the broker for a task, as kombu 5.3+ does at once."""

    requires = {"celery.worker.components:Hub"}

    def start(self, worker) -> None:
        if getattr(worker, "hub", None) is not None:
            worker.hub.call_repeatedly(TICK_DELAY_FIX_SECONDS, lambda: None)


def make_app(name: str, worker_concurrency: int = 1) -> Celery:
    broker_url, result_url = urls_from_environment(name)
    app = Celery("broker_benchmark", config_source=celery_config(broker_url, result_url, worker_concurrency))
    app.task(name=TASK_NAME)(echo)
    if kombu_has_tick_delay():
        app.steps["worker"].add(ShortPoll)
    return app


# `celery -A broker_benchmark worker`, started by this script with WORKER_BROKER_VARIABLE set, imports this
# module and takes `app`; the script itself (and its producer processes) make one app per broker instead.
if os.environ.get(WORKER_BROKER_VARIABLE):
    app = make_app(os.environ[WORKER_BROKER_VARIABLE], int(os.environ.get("BROKER_BENCHMARK_WORKER_CONCURRENCY", "1")))


def describe_redis_error(error: Exception) -> str:
    text = str(error)
    if isinstance(error, redis.AuthenticationError) or text.startswith(("WRONGPASS", "NOAUTH", "ERR invalid password",
                                                                          "invalid password", "ERR AUTH")):
        return f"wrong or missing password ({text.strip()})"
    if isinstance(error, redis.ConnectionError):
        return f"unreachable ({text.strip()})"
    if isinstance(error, redis.TimeoutError):
        return f"no answer in time ({text.strip()})"
    return f"{type(error).__name__}: {text.strip()}"


def connect(name: str, variable: str, url: str, timeout: float) -> redis.Redis:
    """A redis-py client of one database, checked with PING; BenchmarkError naming the broker otherwise."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as error:
        raise BenchmarkError(name, f"cannot connect to {where(url)} ({variable}): {describe_redis_error(error)}") from None
    return client


def server_version(info: dict) -> tuple[str, str]:
    """(server, "server version") from INFO server: Dragonfly and Garnet also report a redis_version for
    compatibility, so their own fields come first, and a stand-in is reported as what it is."""
    for server in ("dragonfly", "garnet", "redis"):
        value = info.get(f"{server}_version")
        if value:
            return server, f"{server} {value}"
    return "unknown", "unknown"


def memory_of(info: dict) -> tuple[int | None, str]:
    """The broker's memory from INFO memory: used_memory (Redis, Dragonfly); Garnet has none and reports the
    process's resident memory instead, which is named as such."""
    if "used_memory" in info:
        return int(info["used_memory"]), "used_memory"
    if "proc_physical_memory_size" in info:
        return int(info["proc_physical_memory_size"]), "proc_physical_memory_size (no used_memory in INFO)"
    return None, "none in INFO memory"


def cpu_of(client: redis.Redis) -> float | None:
    """used_cpu_sys + used_cpu_user from INFO cpu; None where the server has no such section (Garnet)."""
    try:
        info = client.info("cpu")
    except redis.ResponseError:
        return None
    if "used_cpu_sys" not in info or "used_cpu_user" not in info:
        return None
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


class MemorySampler:
    """Samples the broker's memory while one of its rounds runs, keeping the peak."""

    def __init__(self, client: redis.Redis):
        self._client = client
        self._stop = threading.Event()
        self.peak: int | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        value, _ = memory_of(self._client.info("memory"))
        if value is not None and (self.peak is None or value > self.peak):
            self.peak = value

    def _run(self) -> None:
        try:
            while True:
                self._sample()
                if self._stop.wait(MEMORY_SAMPLE_SECONDS):
                    return
        except redis.RedisError as error:
            self.error = error

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()
        if self.error is None:
            try:
                self._sample()
            except redis.RedisError as error:
                self.error = error


class Broker:
    """One broker under test: its clients, its workers and what its rounds measured."""

    def __init__(self, name: str, args: argparse.Namespace):
        self.name = name
        self.args = args
        broker_url, result_url = urls_from_environment(name)
        self.broker_url = broker_url
        self.result_url = result_url
        self.broker_client = connect(name, broker_variable(name), broker_url, args.timeout)
        self.result_client = connect(name, result_variable(name), result_url, args.timeout)
        try:
            self.server, self.version = server_version(self.broker_client.info("server"))
            self.baseline_memory, self.memory_source = memory_of(self.broker_client.info("memory"))
        except redis.RedisError as error:
            raise BenchmarkError(name, f"INFO failed at {where(broker_url)}: {describe_redis_error(error)}") from None
        self.cpu_measured = cpu_of(self.broker_client) is not None
        self.app = make_app(name)
        self.workers: list[subprocess.Popen] = []
        self.nodes: list[str] = []
        self.logs: list[str] = []
        self.rounds: list[dict] = []
        self.fixed_latencies: list[float] = []
        self.saturation_latencies: list[float] = []

    def purge(self) -> int:
        """Empties the benchmark's own queue: what an interrupted run left must not load the next one's rounds."""
        with self.app.connection_for_write() as connection:
            return connection.default_channel.queue_purge(QUEUE) or 0

    def start_workers(self, folder: str) -> None:
        script_folder = os.path.dirname(os.path.abspath(__file__))
        environment = dict(os.environ)
        environment[WORKER_BROKER_VARIABLE] = self.name
        environment["BROKER_BENCHMARK_WORKER_CONCURRENCY"] = str(self.args.worker_concurrency)
        environment["PYTHONPATH"] = os.pathsep.join(p for p in (script_folder, environment.get("PYTHONPATH")) if p)
        for index in range(1, self.args.workers + 1):
            node = f"benchmark-{self.name}-{index}-{os.getpid()}@{platform.node() or 'localhost'}"
            log = os.path.join(folder, f"worker-{self.name}-{index}.log")
            # As Airflow's `airflow celery worker` starts it (-O fair, --queues, --concurrency, --hostname), with
            # the prefork pool; without mingle, which only syncs start-up state and would slow each start by ~1 s.
            command = [sys.executable, "-m", "celery", "-A", "broker_benchmark", "worker", "-O", "fair",
                       "--pool", "prefork", "--concurrency", str(self.args.worker_concurrency),
                       "--queues", QUEUE, "--hostname", node, "--loglevel", "WARNING", "--without-mingle"]
            with open(log, "wb") as output:
                # A session of its own: stopping the worker's process group stops its pool's children too.
                self.workers.append(subprocess.Popen(command, env=environment, cwd=folder, stdin=subprocess.DEVNULL,
                                                     stdout=output, stderr=subprocess.STDOUT, start_new_session=True))
            self.nodes.append(node)
            self.logs.append(log)

    def worker_exited(self) -> str | None:
        """The cause, from its log, when a worker process has exited; None while all run."""
        for process, log in zip(self.workers, self.logs):
            if process.poll() is not None:
                return f"a celery worker exited with status {process.returncode}: {last_line(log)}"
        return None

    def await_workers(self, deadline: float) -> None:
        """Until every worker answers Celery's remote-control ping (as Airflow's worker health check does)."""
        waiting = set(self.nodes)
        while waiting:
            exited = self.worker_exited()
            if exited:
                raise BenchmarkError(self.name, exited)
            left = deadline - time.monotonic()
            if left <= 0:
                logs = "; ".join(last_line(log) for log in self.logs)
                raise BenchmarkError(self.name, f"{len(waiting)} of {len(self.nodes)} celery workers did not answer "
                                                f"a ping within {self.args.timeout:g} s (last log lines: {logs})")
            try:
                replies = self.app.control.ping(destination=sorted(waiting), timeout=min(1.0, left), limit=len(waiting))
            except Exception as error:  # Kombu's errors vary by version; any is a failure to reach the broker.
                raise BenchmarkError(self.name, f"remote-control ping failed: {type(error).__name__}: {error}") from None
            for reply in replies:
                waiting.difference_update(reply)

    def stop_workers(self, bound: float) -> None:
        """Warm shutdown (SIGTERM to each worker's process group), then SIGKILL whatever is left after bound."""
        for process in self.workers:
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + bound
        for process in self.workers:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(process, signal.SIGKILL)
                process.wait()
        self.workers.clear()


def signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def last_line(log: str) -> str:
    try:
        with open(log, encoding="utf-8", errors="replace") as file:
            lines = [line.strip() for line in file if line.strip()]
    except OSError:
        return "(no log)"
    return scrub(lines[-1])[:300] if lines else "(empty log)"


# Producer processes. Processes, not threads: one Python process publishes a few thousand tasks a second at
# most, which on a many-core machine would be the limit instead of the broker. Spawned, not forked, so a
# producer shares no socket with the parent and runs alike on Linux and macOS.

def payload(size: int, sequence: int) -> str:
    head = f"{sequence}:"
    return head + "x" * max(0, size - len(head))


def timestamp(value) -> float:
    """date_done (an ISO string or a datetime; naive means UTC, as Celery 5.2 writes it) as a Unix time."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


class Producer:
    """A producer process's Celery app for one broker, and a plain client of its result database."""

    def __init__(self, broker: str):
        self.app = make_app(broker)
        self.task = self.app.tasks[TASK_NAME]
        self.results = redis.Redis.from_url(self.app.conf.result_backend, socket_timeout=10, socket_connect_timeout=10)

    def stored(self, task_id: str) -> dict | None:
        """The result as the backend holds it, read afresh (not through Celery's pub/sub)."""
        raw = self.results.get(f"celery-task-meta-{task_id}")
        return json.loads(raw) if raw is not None else None


def run_share(producers: dict, broker: str, phase: str, tasks: int, slots: int, first: int, size: int,
              timeout: float) -> dict:
    """One producer's share of a phase; returns each task's id, publish time and result time."""
    producer = producers.get(broker) or producers.setdefault(broker, Producer(broker))
    deadline = time.monotonic() + timeout
    ids: list[str] = []
    published: list[float] = []
    done: list[float] = []
    missed = [0]
    lock = threading.Lock()
    errors: list[str] = []

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError()
        return remaining

    def finish(result, sent: float, sequence: int) -> None:
        """Waits for the result as Celery's client does (the backend's pub/sub message). A few messages in ten
        thousand never come (seen here with Celery 5.2 on Redis and on Garnet alike), which would hang the phase,
        so after RESULT_WAIT_SECONDS the backend is read directly; such results are counted, and their date_done
        is the worker's as for any other, so their latency is not stretched by the wait."""
        while True:
            try:
                value = result.get(timeout=min(left(), RESULT_WAIT_SECONDS))
                date_done = result.date_done
                break
            except CeleryTimeoutError:
                stored = producer.stored(result.id)
                if stored is not None and stored.get("status") == "SUCCESS":
                    value, date_done = stored.get("result"), stored.get("date_done")
                    result.forget()  # Also ends Celery's subscription to the result's channel.
                    with lock:
                        missed[0] += 1
                    break
            except TimeoutError:
                stored = producer.stored(result.id)
                state = "no result stored (the task did not run)" if stored is None else \
                    f"the backend holds state {stored.get('status')}"
                raise RuntimeError(f"tasks did not finish within {timeout:g} s ({len(ids)} of {tasks} done); "
                                   f"task {result.id}: {state}") from None
        if value != size:
            raise RuntimeError(f"task {sequence} returned {value!r}, not {size}")
        with lock:
            ids.append(result.id)
            published.append(sent)
            done.append(timestamp(date_done))

    def publish(sequence: int):
        sent = time.time()
        return producer.task.apply_async(args=[payload(size, sequence)]), sent, sequence

    def run() -> None:
        # Closed loop: each slot has one task in flight and publishes the next when its result is there.
        sequences = iter(range(first, first + tasks))

        def slot() -> None:
            try:
                while not errors:
                    with lock:
                        sequence = next(sequences, None)
                    if sequence is None:
                        return
                    finish(*publish(sequence))
            except Exception as error:
                errors.append(describe_task_error(error))

        threads = [threading.Thread(target=slot, daemon=True) for _ in range(slots)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RuntimeError(errors[0])

    try:
        run()
    except Exception as error:
        raise RuntimeError(describe_task_error(error)) from None
    return {"ids": ids, "published": published, "done": done, "missed": missed[0]}


def describe_task_error(error: Exception) -> str:
    if isinstance(error, RuntimeError):
        return str(error)
    if isinstance(error, redis.RedisError):
        return describe_redis_error(error)
    return f"{type(error).__name__}: {error}"


def producer_main(connection) -> None:
    """A producer process: runs the shares the parent sends until it sends None."""
    # The parent handles Ctrl+C and SIGTERM and stops the producers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    producers: dict = {}
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            connection.send(("ok", run_share(producers, **request)))
        except BaseException as error:  # Reported to the parent as one line; the parent decides.
            connection.send(("error", describe_task_error(error) if isinstance(error, Exception) else type(error).__name__))


class Producers:
    def __init__(self, count: int):
        context = multiprocessing.get_context("spawn")
        self._pipes = []
        self._processes = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=producer_main, args=(child,), daemon=True)
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    def run(self, broker: str, phase: str, tasks: int, slots: int, size: int, timeout: float) -> dict:
        """The phase's slots split between the producers, and its tasks in proportion to them, so every slot
        stays busy to the end; all results."""
        count = len(self._pipes)
        weights = [slots // count + (1 if index < slots % count else 0) for index in range(count)]
        shares = [tasks * weight // sum(weights) for weight in weights]
        for index in [i for i in range(count) if weights[i]][:tasks - sum(shares)]:
            shares[index] += 1
        first = 0
        busy = []
        for pipe, share, weight in zip(self._pipes, shares, weights):
            if share == 0:
                continue
            pipe.send({"broker": broker, "phase": phase, "tasks": share, "slots": weight, "first": first,
                       "size": size, "timeout": timeout})
            busy.append(pipe)
            first += share
        merged = {"ids": [], "published": [], "done": [], "missed": 0}
        deadline = time.monotonic() + timeout + 10
        failure = None
        for pipe in busy:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise BenchmarkError(broker, f"a producer did not answer within {timeout + 10:g} s")
            try:
                status, value = pipe.recv()
            except EOFError:
                raise BenchmarkError(broker, "a producer process exited") from None
            if status == "error":
                failure = failure or value
            else:
                for key in ("ids", "published", "done"):
                    merged[key].extend(value[key])
                merged["missed"] += value["missed"]
        if failure:
            raise BenchmarkError(broker, f"{phase.replace('_', ' ')} phase failed: {failure}")
        return merged

    def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except (OSError, ValueError):
                pass
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


def percentiles(values: list[float]) -> dict:
    """p50, p95, p99 (nearest rank) and max, in milliseconds."""
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"p50": round(rank(50) * 1000, 3), "p95": round(rank(95) * 1000, 3), "p99": round(rank(99) * 1000, 3),
            "max": round(ordered[-1] * 1000, 3), "mean": round(sum(ordered) / len(ordered) * 1000, 3)}


def phase_figures(results: dict) -> tuple[dict, list[float]]:
    published = results["published"]
    done = results["done"]
    seconds = max(done) - min(published)
    latencies = [end - start for start, end in zip(published, done)]
    return {"tasks": len(published), "seconds": round(seconds, 4), "tasks_per_second": round(len(published) / seconds, 2)}, latencies


def forget(broker: Broker, ids: list[str]) -> None:
    """Deletes the round's results (celery-task-meta-*), so rounds start alike and the broker keeps no litter."""
    for start in range(0, len(ids), 1000):
        broker.result_client.delete(*(f"celery-task-meta-{task_id}" for task_id in ids[start:start + 1000]))


def run_round(broker: Broker, producers: Producers, number: int, args: argparse.Namespace) -> dict:
    record = {"round": number, "broker": broker.name}
    try:
        cpu_before = cpu_of(broker.broker_client)
        with MemorySampler(broker.broker_client) as sampler:
            fixed = producers.run(broker.name, "fixed_concurrency", args.tasks_per_round, args.concurrency,
                                  args.payload_bytes, args.timeout)
            saturation = producers.run(broker.name, "saturation", args.tasks_per_round, args.saturation_concurrency,
                                       args.payload_bytes, args.timeout)
        cpu_after = cpu_of(broker.broker_client)
        record["fixed_concurrency"], fixed_latencies = phase_figures(fixed)
        record["saturation"], saturation_latencies = phase_figures(saturation)
        record["cpu_seconds"] = (round(cpu_after - cpu_before, 4)
                                 if cpu_before is not None and cpu_after is not None else None)
        record["memory_peak_bytes"] = sampler.peak
        record["result_messages_missed"] = fixed["missed"] + saturation["missed"]
        forget(broker, fixed["ids"] + saturation["ids"])
    except redis.RedisError as error:
        raise BenchmarkError(broker.name, f"round {number}: {describe_redis_error(error)}") from None
    except BenchmarkError as error:
        exited = broker.worker_exited()
        raise BenchmarkError(broker.name, f"round {number}: {error.cause}" + (f"; {exited}" if exited else "")) from None
    broker.fixed_latencies.extend(fixed_latencies)
    broker.saturation_latencies.extend(saturation_latencies)
    broker.rounds.append(record)
    return record


def summary(broker: Broker) -> dict:
    def rate(phase: str) -> float:
        tasks = sum(r[phase]["tasks"] for r in broker.rounds)
        seconds = sum(r[phase]["seconds"] for r in broker.rounds)
        return round(tasks / seconds, 2)

    cpu = [r["cpu_seconds"] for r in broker.rounds]
    peaks = [r["memory_peak_bytes"] for r in broker.rounds if r["memory_peak_bytes"] is not None]
    notes = []
    if None in cpu:
        notes.append(f"{broker.version} has no INFO cpu section: no CPU time")
    if broker.memory_source != "used_memory":
        notes.append(f"memory is {broker.memory_source}")
    missed = sum(r["result_messages_missed"] for r in broker.rounds)
    if missed:
        notes.append(f"{missed} results' pub/sub messages never reached the producer; those results were read from "
                     f"the backend after {RESULT_WAIT_SECONDS:g} s")
    return {
        "broker": broker.name,
        "server": broker.server,
        "version": broker.version,
        "tasks_per_second": rate("saturation"),
        "tasks_per_second_at_concurrency": rate("fixed_concurrency"),
        "latency_ms": percentiles(broker.fixed_latencies),
        "latency_ms_at_saturation": percentiles(broker.saturation_latencies),
        "memory_bytes": max(peaks) if peaks else None,
        "memory_baseline_bytes": broker.baseline_memory,
        "memory_source": broker.memory_source,
        "cpu_seconds": round(sum(cpu), 4) if None not in cpu else None,
        "tasks": sum(r["fixed_concurrency"]["tasks"] + r["saturation"]["tasks"] for r in broker.rounds),
        "result_messages_missed": missed,
        "notes": notes,
    }


def machine() -> dict:
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = None
    return {"cores": cores(), "memory_bytes": memory, "python": platform.python_version(),
            "celery": celery.__version__, "kombu": kombu.__version__, "redis_py": redis.__version__,
            "platform": platform.platform()}


def cores() -> int:
    """The cores this process may run on (a container's or taskset's limit), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def table(report: dict) -> str:
    workload = report["workload"]
    lines = [
        f"Broker benchmark: {report['machine']['cores']} cores; {workload['rounds']} rounds per broker, alternating; "
        f"{workload['tasks_per_round']} tasks per phase; {workload['producers']} producers; {workload['workers']} "
        f"workers x {workload['worker_concurrency']} processes per broker; fixed concurrency {workload['concurrency']}",
        f"{'broker':<12}{'version':<24}{'tasks/s':>9}{'tasks/s @' + str(workload['concurrency']):>13}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'memory MiB':>12}{'CPU s':>8}",
    ]
    for entry in report["brokers"]:
        latency = entry["latency_ms"]
        memory = f"{entry['memory_bytes'] / 1048576:.1f}" if entry["memory_bytes"] is not None else "n/a"
        cpu = f"{entry['cpu_seconds']:.2f}" if entry["cpu_seconds"] is not None else "n/a"
        lines.append(f"{entry['broker']:<12}{entry['version'][:23]:<24}{entry['tasks_per_second']:>9.1f}"
                     f"{entry['tasks_per_second_at_concurrency']:>13.1f}{latency['p50']:>9.2f}{latency['p95']:>9.2f}"
                     f"{latency['p99']:>9.2f}{latency['max']:>9.2f}{memory:>12}{cpu:>8}")
    lines.append(f"tasks/s: at saturation ({workload['saturation_concurrency']} in flight); tasks/s @N: N tasks in flight; "
                 "latency (publish to result stored): at fixed concurrency; memory: peak during the broker's rounds; "
                 "CPU: the broker's, over its rounds.")
    for entry in report["brokers"]:
        for note in entry["notes"]:
            lines.append(f"{entry['broker']}: {note}")
    lines.extend(report["notes"])
    return "\n".join(lines)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    n = cores()
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description="Real Celery on each broker, in alternating rounds: throughput, latency, the "
        "broker's memory and CPU. URLs from BENCH_<NAME>_BROKER_URL and BENCH_<NAME>_RESULT_BACKEND_URL only.")
    parser.add_argument("--brokers", default="dragonfly,redis",
                        help="comma-separated broker names, in the order of each round (default: dragonfly,redis)")
    parser.add_argument("--output", required=True, help="where the JSON report is written")
    parser.add_argument("--rounds", type=positive, default=3, help="measured rounds per broker (default: 3)")
    # 2000: the default run (24,000 tasks) takes about two minutes on 2 cores. Measured with 2500 there: 118 s on the
    # idle machine (about 300 tasks/s per phase), 196 s through the AppHost with the machine busy with other builds.
    parser.add_argument("--tasks-per-round", type=positive, default=2000,
                        help="tasks in each phase (fixed concurrency, saturation) of a round (default: 2000)")
    parser.add_argument("--warmup-tasks", type=int, default=None,
                        help="unmeasured tasks per broker before the rounds (default: 10 x concurrency)")
    parser.add_argument("--producers", type=positive, default=n, help=f"producer processes (default: cores, {n})")
    parser.add_argument("--workers", type=positive, default=n,
                        help=f"celery worker processes per broker (default: cores, {n})")
    parser.add_argument("--worker-concurrency", type=positive, default=2,
                        help="prefork pool processes of each worker (default: 2)")
    parser.add_argument("--concurrency", type=positive, default=None,
                        help="tasks in flight in the fixed-concurrency phase (default: workers x worker concurrency)")
    parser.add_argument("--saturation-concurrency", type=positive, default=None,
                        help="tasks in flight in the saturation phase (default: 4 x workers x worker concurrency)")
    parser.add_argument("--payload-bytes", type=positive, default=1024,
                        help="size of each task's argument (default: 1024, the order of an Airflow 3 workload's JSON)")
    parser.add_argument("--timeout", type=positive_seconds, default=60.0,
                        help="bound in seconds of every wait: connecting, workers starting, each phase (default: 60)")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.brokers.split(",") if name.strip()]
    for name in names:
        if not NAME_PATTERN.match(name):
            parser.error(f"--brokers: {name!r} is not a lower-case name (letters, digits, _)")
    if not names or len(set(names)) != len(names):
        parser.error("--brokers: give one or more distinct names")
    args.brokers = names
    if args.concurrency is None:
        args.concurrency = args.workers * args.worker_concurrency
    if args.saturation_concurrency is None:
        args.saturation_concurrency = 4 * args.workers * args.worker_concurrency
    if args.warmup_tasks is None:
        args.warmup_tasks = 10 * args.concurrency
    if args.warmup_tasks < 0:
        parser.error("--warmup-tasks: must not be negative")
    return args


def workload(args: argparse.Namespace) -> dict:
    return {
        "brokers": args.brokers, "rounds": args.rounds, "tasks_per_round": args.tasks_per_round,
        "warmup_tasks": args.warmup_tasks, "producers": args.producers, "workers": args.workers,
        "worker_concurrency": args.worker_concurrency, "concurrency": args.concurrency,
        "saturation_concurrency": args.saturation_concurrency,
        "payload_bytes": args.payload_bytes, "timeout_seconds": args.timeout, "task": TASK_NAME, "queue": QUEUE,
        "kombu_tick_delay_fix": kombu_has_tick_delay(),
        "celery_config": {key: value for key, value in celery_config("", "", args.worker_concurrency).items()
                          if key not in ("broker_url", "result_backend")},
    }


def write_json(path: str, report: dict) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Written beside and renamed: a reader never sees half a report.
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".broker-benchmark-", suffix=".json",
                                     delete=False, encoding="utf-8") as file:
        json.dump(report, file, indent=2)
        file.write("\n")
    # A temporary file is private (0600); the report is not secret, so it gets the mode any new file would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(file.name, 0o666 & ~umask)
    os.replace(file.name, path)


def benchmark(args: argparse.Namespace) -> dict:
    started = time.time()
    print(f"{PROGRAM}: brokers {', '.join(args.brokers)}; {args.rounds} rounds of {args.tasks_per_round} tasks per "
          f"phase; {args.producers} producers; {args.workers} workers x {args.worker_concurrency} per broker; "
          f"concurrency {args.concurrency}", flush=True)
    brokers = [Broker(name, args) for name in args.brokers]
    producers = None
    with tempfile.TemporaryDirectory(prefix="broker-benchmark-") as folder:
        try:
            for broker in brokers:
                try:
                    left = broker.purge()
                except Exception as error:  # Kombu's connection errors vary by version.
                    raise BenchmarkError(broker.name, f"cannot purge the queue {QUEUE}: {type(error).__name__}: {error}") from None
                if left:
                    print(f"{PROGRAM}: {broker.name}: removed {left} tasks an earlier run left in {QUEUE}", flush=True)
            for broker in brokers:
                broker.start_workers(folder)
            producers = Producers(args.producers)
            deadline = time.monotonic() + args.timeout
            for broker in brokers:
                broker.await_workers(deadline)
                print(f"{PROGRAM}: {broker.name}: {broker.version}, {len(broker.nodes)} workers ready", flush=True)
            for broker in brokers:
                if args.warmup_tasks:
                    try:
                        results = producers.run(broker.name, "warmup", args.warmup_tasks, args.concurrency,
                                                args.payload_bytes, args.timeout)
                    except BenchmarkError as error:
                        raise BenchmarkError(broker.name, f"warm-up: {error.cause}") from None
                    forget(broker, results["ids"])
            order = []
            for number in range(1, args.rounds + 1):
                for broker in brokers:
                    record = run_round(broker, producers, number, args)
                    order.append(broker.name)
                    print(f"{PROGRAM}: round {number} {broker.name}: "
                          f"{record['saturation']['tasks_per_second']:.1f} tasks/s at saturation, "
                          f"{record['fixed_concurrency']['tasks_per_second']:.1f} at concurrency {args.concurrency}",
                          flush=True)
        finally:
            if producers is not None:
                producers.close()
            for broker in brokers:
                broker.stop_workers(min(args.timeout, 15.0))
                try:
                    broker.purge()
                except Exception:  # Best effort: the run's own failure, if any, is the one to report.
                    pass
    rounds = sorted((r for b in brokers for r in b.rounds), key=lambda r: (r["round"], args.brokers.index(r["broker"])))
    notes = []
    if kombu_has_tick_delay():
        notes.append(f"kombu {kombu.__version__} has the event-loop tick delay fixed in kombu 5.3 (celery/celery#7718): "
                     f"the workers ran a {TICK_DELAY_FIX_SECONDS * 1000:g} ms timer so that a task does not wait up "
                     f"to 1 s for the worker's next poll")
    return {
        "schema": 1,
        "started_at": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(time.time() - started, 1),
        "machine": machine(),
        "workload": workload(args),
        "round_order": order,
        "rounds": rounds,
        "brokers": [summary(broker) for broker in brokers],
        "notes": notes,
    }


def on_sigterm(*_) -> None:
    raise Stopped()


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        report = benchmark(args)
        write_json(args.output, report)
    except BenchmarkError as error:
        print(scrub(error.line()), file=sys.stderr, flush=True)
        return 1
    except (Stopped, KeyboardInterrupt):
        print(f"{PROGRAM}: stopped before the end; no report written", file=sys.stderr, flush=True)
        return 1
    except OSError as error:
        print(scrub(f"{PROGRAM}: {error}"), file=sys.stderr, flush=True)
        return 1
    print(table(report), flush=True)
    print(f"{PROGRAM}: report written to {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
