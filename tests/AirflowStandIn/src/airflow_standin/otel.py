"""OpenTelemetry export as Airflow 3.0.3 does it: OTLP over HTTP/protobuf, to its own host and port settings,
through the OpenTelemetry SDK 1.27.0 that 3.0.3's constraints pin, modelled with the same HTTP client.

airflow-core/src/airflow/metrics/otel_logger.py (get_otel_logger) and airflow/traces/otel_tracer.py (get_otel_tracer):
    endpoint = f"{'https' if otel_ssl_active else 'http'}://{otel_host}:{otel_port}/v1/metrics"   (/v1/traces for traces)
    PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint), export_interval_millis=otel_interval_milliseconds)
    OtelTrace(span_exporter=OTLPSpanExporter(endpoint=endpoint))  -> one BatchSpanProcessor per process
    Resource.create(attributes={HOST_NAME: get_hostname(), SERVICE_NAME: otel_service})
The exporters get no `headers` argument in 3.0 (apache/airflow#44346 removed the fixed JSON Content-Type in 2024), so
the SDK takes OTEL_EXPORTER_OTLP_{METRICS,TRACES}_HEADERS, or else OTEL_EXPORTER_OTLP_HEADERS (parse_env_headers, keys
lower-cased). OTEL_EXPORTER_OTLP_ENDPOINT is ignored (the endpoint is explicit). OTEL_RESOURCE_ATTRIBUTES are merged
under Airflow's own two attributes.

What SDK 1.27.0 does, and this module with it (opentelemetry-python at v1.27.0):
- exporter/opentelemetry-exporter-otlp-proto-http .../metric_exporter/__init__.py and trace_exporter/__init__.py: each
  exporter holds one `requests.Session()` for its life and POSTs every batch through it, so one keep-alive connection
  (urllib3's pool) carries every export; an answer of 408 or 5xx is retried after 1, 2, 4 ... 32 s ("Transient error %s
  encountered while exporting metric batch, retrying in %ss."), another error is "Failed to export batch code: %s,
  reason: %s"; an exception of the session (a broken connection, a timeout) goes up to the caller.
- opentelemetry-sdk .../metrics/_internal/export/__init__.py: PeriodicExportingMetricReader exports every interval from a
  daemon thread and logs an exception as "Exception while exporting metrics %s"; it registers
  os.register_at_fork(after_in_child=_at_fork_reinit), which starts that thread again in a forked child, a full
  interval after the fork. .../trace/export/__init__.py: BatchSpanProcessor does the same for its worker (and clears
  its queue); "Exception while exporting Span batch.".
- Nothing resets the exporter's session at a fork (open-telemetry/opentelemetry-python#4994, #4995 unmerged; #3307):
  a child forked after an export inherits the parent's open connection, and when parent and child export at the same
  time their requests and answers interleave on it. This is what real Airflow showed (issue 19) and what
  tests/AirflowAspire.Tests' dashboard test reproduces; forking.py holds where the stand-in forks, as Airflow does.
- The resource is made once per provider: a forked child keeps its parent's service.instance.id. (SDK 1.43/1.44 added a
  random service.instance.id that a provider renews in every forked child, #5259/#5280; 1.27.0 has neither.)

What the stand-in sends is smaller than Airflow's: one monotonic counter `<otel_prefix>.<component>_heartbeat` and
one span per process start. On the first accepted export of each signal in each process it logs one line of its own
("[stand-in] OTLP export accepted: ... pid=N"), and on the 2nd, 4th, 8th ... ("[stand-in] OTLP exports accepted: 4
(metrics) pid=N"), which Airflow does not, so a test can see that the collector took them, from parent and child. Protobuf is
encoded by hand (opentelemetry-proto's field numbers), as Debian has no OpenTelemetry packages; the HTTP client is
Debian's requests, the SDK's own.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
import threading
import time
import urllib.parse
from collections import deque

import requests

from airflow_standin import LINE

log = logging.getLogger("airflow.otel")
SDK_VERSION = "1.27.0"


# --- protobuf, the few wire types OTLP needs ---------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    return _varint((num << 3) | wire) + payload


def _bytes(num: int, data: bytes) -> bytes:
    return _field(num, 2, _varint(len(data)) + data)


def _str(num: int, text: str) -> bytes:
    return _bytes(num, text.encode())


def _fixed64(num: int, n: int) -> bytes:
    return _field(num, 1, struct.pack("<Q", n))


def _kv(key: str, value: str) -> bytes:  # KeyValue{key=1, value=2 AnyValue{string_value=1}}
    return _str(1, key) + _bytes(2, _str(1, value))


def _resource(attributes: dict[str, str]) -> bytes:  # Resource{attributes=1}
    return b"".join(_bytes(1, _kv(k, v)) for k, v in attributes.items())


def _scope() -> bytes:  # InstrumentationScope{name=1, version=2}
    return _str(1, "airflow") + _str(2, SDK_VERSION)


def metrics_request(attributes: dict[str, str], name: str, value: int, start_ns: int, now_ns: int) -> bytes:
    point = _fixed64(2, start_ns) + _fixed64(3, now_ns) + _field(6, 1, struct.pack("<q", value))  # NumberDataPoint as_int=6
    total = _bytes(1, point) + _field(2, 0, _varint(2)) + _field(3, 0, _varint(1))  # Sum: CUMULATIVE, monotonic
    metric = _str(1, name) + _bytes(7, total)  # Metric{name=1, sum=7}
    scope_metrics = _bytes(1, _scope()) + _bytes(2, metric)
    resource_metrics = _bytes(1, _resource(attributes)) + _bytes(2, scope_metrics)
    return _bytes(1, resource_metrics)  # ExportMetricsServiceRequest{resource_metrics=1}


def trace_request(attributes: dict[str, str], name: str, start_ns: int, end_ns: int) -> bytes:
    span = (_bytes(1, os.urandom(16)) + _bytes(2, os.urandom(8)) + _str(5, name) + _field(6, 0, _varint(1))  # SPAN_KIND_INTERNAL
            + _fixed64(7, start_ns) + _fixed64(8, end_ns))
    scope_spans = _bytes(1, _scope()) + _bytes(2, span)
    resource_spans = _bytes(1, _resource(attributes)) + _bytes(2, scope_spans)
    return _bytes(1, resource_spans)  # ExportTraceServiceRequest{resource_spans=1}


# --- the SDK's environment -----------------------------------------------------------------------------------------
def _env_pairs(value: str) -> dict[str, str]:
    """parse_env_headers(liberal=True): comma-separated key=value, percent-decoded, keys lower-cased."""
    pairs = {}
    for item in value.split(","):
        if "=" in item:
            key, _, val = item.partition("=")
            pairs[urllib.parse.unquote(key).strip().lower()] = urllib.parse.unquote(val).strip()
    return pairs


def headers(signal: str) -> dict[str, str]:
    """The exporter's session headers: the environment's, then the SDK's own (Content-Type; User-Agent for spans)."""
    raw = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS", os.environ.get("OTEL_EXPORTER_OTLP_HEADERS", ""))
    result = _env_pairs(raw)
    result["Content-Type"] = "application/x-protobuf"
    if signal == "traces":
        result["User-Agent"] = f"OTel-OTLP-Exporter-Python/{SDK_VERSION}"
    return result


def resource_attributes(service: str) -> dict[str, str]:
    from airflow_standin.jobs import get_hostname

    attributes = {
        "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": SDK_VERSION,
    }
    for key, value in _env_pairs(os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")).items():
        attributes[key] = value
    attributes["host.name"] = get_hostname()
    attributes["service.name"] = service
    return attributes


def _backoff(max_value: int):
    """_create_exp_backoff_generator(max_value): 1, 2, 4, ... then max_value for ever."""
    value = 1
    while True:
        yield min(value, max_value)
        value *= 2


class _Exporter:
    """OTLPMetricExporter / OTLPSpanExporter of opentelemetry-exporter-otlp-proto-http 1.27.0: one requests.Session."""

    def __init__(self, conf, section: str, signal: str) -> None:
        scheme = "https" if conf.getboolean(section, "otel_ssl_active") else "http"
        self.url = f"{scheme}://{conf.get(section, 'otel_host')}:{conf.getint(section, 'otel_port')}/v1/{signal}"
        if LINE >= (3, 2) and signal == "metrics":
            # From 3.2 (apache/airflow#56150, #56634) metrics go to OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else
            # OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics, before [metrics] otel_host/otel_port; traces keep theirs.
            generic = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            self.url = (os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
                        or (generic.rstrip("/") + "/v1/metrics" if generic else None) or self.url)
        self.signal = signal
        self.batch = "metric" if signal == "metrics" else "span"
        self.timeout = float(os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_TIMEOUT",
                                            os.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT", "10")))
        # The session's pool keeps the connection open between exports, and across a fork (nothing resets it).
        self.session = requests.Session()
        self.session.headers.update(headers(signal))
        self.accepted: dict[int, int] = {}  # accepted exports per process: a forked child counts its own
        log.info("[%s Exporter] Connecting to OpenTelemetry Collector at %s", signal.capitalize(), self.url)

    def export(self, body: bytes) -> bool:
        for delay in _backoff(64):
            if delay == 64:
                return False
            response = self.session.post(url=self.url, data=body, timeout=self.timeout)
            if response.ok:
                self._accepted(response.status_code)
                return True
            if response.status_code == 408 or 500 <= response.status_code <= 599:
                log.warning("Transient error %s encountered while exporting %s batch, retrying in %ss.",
                            response.reason, self.batch, delay)
                time.sleep(delay)
                continue
            log.error("Failed to export batch code: %s, reason: %s", response.status_code, response.text[:200])
            return False
        return False


    def _accepted(self, status: int) -> None:
        """The stand-in's own lines: the first accepted export of this process, then the 2nd, 4th, 8th ..."""
        pid = os.getpid()
        count = self.accepted[pid] = self.accepted.get(pid, 0) + 1
        if count == 1:
            line = f"[stand-in] OTLP export accepted: POST {self.url} -> {status} ({self.signal}) pid={pid}"
        elif count & (count - 1) == 0:
            line = f"[stand-in] OTLP exports accepted: {count} ({self.signal}) pid={pid}"
        else:
            return
        # One write with its newline: parent and children write to one pipe at the same instant (print writes twice).
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class _MetricReader:
    """PeriodicExportingMetricReader (SDK 1.27.0): a daemon thread exports every interval, started again after a fork."""

    def __init__(self, exporter: _Exporter, interval: float, collect) -> None:
        self.exporter = exporter
        self.interval = interval
        self.collect = collect
        self._export_lock = threading.Lock()
        self.after_export: list = []  # the stand-in's own: run once, in this thread, after an accepted export
        # The stand-in's own, for the fault forks_after_first_export: export on the clock's interval boundaries (the SDK
        # sleeps the interval after each export), so that a parent and its children export at once, every interval.
        self.on_the_clock = False
        self._start()
        os.register_at_fork(after_in_child=self._start)  # _at_fork_reinit: the thread only, not the exporter

    def _start(self) -> None:
        threading.Thread(target=self._ticker, name="OtelPeriodicExportingMetricReader", daemon=True).start()

    def _ticker(self) -> None:
        while True:
            time.sleep(self.interval - time.time() % self.interval if self.on_the_clock else self.interval)
            data = self.collect()
            accepted = False
            try:  # _receive_metrics: the lock is held while exporting only
                with self._export_lock:
                    accepted = self.exporter.export(data)
            except Exception as e:
                log.exception("Exception while exporting metrics %s", str(e))
            while accepted and self.after_export:
                self.after_export.pop(0)()


class _SpanProcessor:
    """BatchSpanProcessor (SDK 1.27.0): a worker exports queued spans after the schedule delay; reset after a fork."""

    def __init__(self, exporter: _Exporter, delay: float) -> None:
        self.exporter = exporter
        self.delay = delay
        self.queue: deque[bytes] = deque()
        self._at_fork_reinit()
        os.register_at_fork(after_in_child=self._at_fork_reinit)

    def _at_fork_reinit(self) -> None:
        self.condition = threading.Condition(threading.Lock())
        self.queue.clear()
        threading.Thread(target=self._worker, name="OtelBatchSpanProcessor", daemon=True).start()

    def on_end(self, span: bytes) -> None:
        self.queue.appendleft(span)

    def _worker(self) -> None:
        while True:
            with self.condition:
                self.condition.wait(self.delay)
            while self.queue:
                span = self.queue.pop()
                try:
                    self.exporter.export(span)
                except Exception:  # _export_batch
                    log.exception("Exception while exporting Span batch.")


class Telemetry:
    """This process's meter and tracer, as Airflow's Stats and Trace make them."""

    def __init__(self) -> None:
        self.metrics: _MetricReader | None = None
        self.traces: _Exporter | None = None
        self.conf = None
        # The DagFileInfo objects 3.0's dag-processor tags dag_processing.processes with (their reprs): one data point each.
        self.file_object_tags: list[str] = []


telemetry = Telemetry()


def metric_allowed(conf, name: str) -> bool:
    """airflow/metrics/validators.py get_validator (3.0.3): [metrics] metrics_allow_list, or else metrics_block_list,
    comma-separated patterns, each stripped and lower-cased and searched for (re.findall) in the lower-cased name."""
    import re

    allow = conf.get("metrics", "metrics_allow_list", fallback=None)
    block = conf.get("metrics", "metrics_block_list", fallback=None)
    patterns = allow or block
    if not patterns:
        return True
    matched = any(re.findall(p.strip().lower(), name.strip().lower()) for p in patterns.split(","))
    return matched if allow else not matched


def dag_file_process_started(rel_path: str, bundle_name: str, bundle_path: str) -> None:
    """3.0.3's dag_processing/manager.py _start_new_processes: Stats.incr("dag_processing.processes",
    tags={"file_path": file, "action": "start"}) with `file` the DagFileInfo itself (later code: str(file.rel_path)).
    OTLP cannot encode that attribute, so every export logs the SDK's error for each such data point (below)."""
    if LINE != (3, 0) or telemetry.metrics is None or not metric_allowed(telemetry.conf, "dag_processing.processes"):
        return
    tag = (f"DagFileInfo(rel_path=PosixPath('{rel_path}'), bundle_name='{bundle_name}', "
           f"bundle_path=PosixPath('{bundle_path}'))")
    if tag not in telemetry.file_object_tags:
        telemetry.file_object_tags.append(tag)


_encoding_log = logging.getLogger("opentelemetry.exporter.otlp.proto.common._internal")


def _encode_file_object_tags() -> None:
    """SDK 1.27.0 exporter/.../proto/common/_internal/__init__.py _encode_attributes: a value it cannot encode is logged with
    its traceback ("Failed to encode key %s: %s") and left out; the data point is still exported."""
    for tag in telemetry.file_object_tags:
        try:
            raise Exception(f"Invalid type <class 'airflow.dag_processing.manager.DagFileInfo'> of value {tag}")
        except Exception as error:
            _encoding_log.exception("Failed to encode key %s: %s", "file_path", error)


def start(conf, component: str) -> Telemetry:
    """Starts the exporters of this process, when [metrics]/[traces] otel_on say so (daemon threads)."""
    started_ns = time.time_ns()
    telemetry.conf = conf
    if conf.getboolean("metrics", "otel_on"):
        exporter = _Exporter(conf, "metrics", "metrics")
        interval = conf.getint("metrics", "otel_interval_milliseconds", fallback=60000) / 1000
        metric_attributes = resource_attributes(conf.get("metrics", "otel_service") or "Airflow")
        name = f"{conf.get('metrics', 'otel_prefix') or 'airflow'}.{component.replace('-', '_')}_heartbeat"
        beats = [0]  # cumulative, as the SDK's sum: a forked child goes on from its parent's value

        def collect() -> bytes:
            _encode_file_object_tags()
            beats[0] += 1
            return metrics_request(metric_attributes, name, beats[0], started_ns, time.time_ns())

        telemetry.metrics = _MetricReader(exporter, interval, collect)
    if conf.getboolean("traces", "otel_on"):
        telemetry.traces = _Exporter(conf, "traces", "traces")
        delay = int(os.environ.get("OTEL_BSP_SCHEDULE_DELAY", "5000")) / 1000
        processor = _SpanProcessor(telemetry.traces, delay)
        processor.on_end(trace_request(resource_attributes(conf.get("traces", "otel_service") or "Airflow"),
                                       f"{component} start", started_ns, time.time_ns()))
    return telemetry
