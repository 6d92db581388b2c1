"""OpenTelemetry export as Airflow 3.0.3 does it: OTLP over HTTP/protobuf, to its own host and port settings.

airflow-core/src/airflow/metrics/otel_logger.py (get_otel_logger) and airflow/traces/otel_tracer.py (get_otel_tracer):
    endpoint = f"{'https' if otel_ssl_active else 'http'}://{otel_host}:{otel_port}/v1/metrics"   (/v1/traces for traces)
    OTLPMetricExporter(endpoint=endpoint)  /  OTLPSpanExporter(endpoint=endpoint)
    Resource.create(attributes={HOST_NAME: get_hostname(), SERVICE_NAME: otel_service})
The exporters get no `headers` argument in 3.0 (apache/airflow#44346 removed the fixed JSON Content-Type in 2024), so
the OpenTelemetry SDK (1.27.0 in constraints-3.0.3) takes OTEL_EXPORTER_OTLP_{METRICS,TRACES}_HEADERS or
OTEL_EXPORTER_OTLP_HEADERS, and always sends Content-Type: application/x-protobuf. OTEL_EXPORTER_OTLP_ENDPOINT is
ignored (the endpoint is explicit). OTEL_RESOURCE_ATTRIBUTES are merged under Airflow's own two attributes. Metrics go
every [metrics] otel_interval_milliseconds (PeriodicExportingMetricReader); spans through a BatchSpanProcessor, whose
delay is OTEL_BSP_SCHEDULE_DELAY (5000 ms). An error answer is logged by the SDK as "Failed to export batch code: N,
reason: ..." and not retried.

What the stand-in sends is smaller than Airflow's: one monotonic counter `<otel_prefix>.<component>_heartbeat` and
one span per process start. On the first accepted export of each signal it logs one line of its own ("[stand-in] OTLP
export accepted"), which Airflow does not, so a test can see that the collector took it. Protobuf is encoded by hand
(opentelemetry-proto's field numbers), as Debian has no OpenTelemetry packages.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

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
    raw = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS", os.environ.get("OTEL_EXPORTER_OTLP_HEADERS", ""))
    result = _env_pairs(raw)
    result["Content-Type"] = "application/x-protobuf"
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


class _Exporter:
    def __init__(self, conf, section: str, signal: str) -> None:
        scheme = "https" if conf.getboolean(section, "otel_ssl_active") else "http"
        self.url = f"{scheme}://{conf.get(section, 'otel_host')}:{conf.getint(section, 'otel_port')}/v1/{signal}"
        self.signal = signal
        self.accepted = False
        log.info("[%s Exporter] Connecting to OpenTelemetry Collector at %s", signal.capitalize(), self.url)

    def export(self, body: bytes) -> None:
        request = urllib.request.Request(self.url, data=body, headers=headers(self.signal), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            log.error("Failed to export batch code: %s, reason: %s", error.code, error.read()[:200].decode(errors="replace"))
            return
        except OSError as error:
            log.error("Failed to export batch: %s", error)
            return
        if not self.accepted:
            self.accepted = True
            print(f"[stand-in] OTLP export accepted: POST {self.url} -> {status} ({self.signal})", flush=True)


def start(conf, component: str) -> None:
    """Starts the exporters of this process, when [metrics]/[traces] otel_on say so (daemon threads)."""
    started_ns = time.time_ns()
    if conf.getboolean("metrics", "otel_on"):
        metrics_exporter = _Exporter(conf, "metrics", "metrics")
        interval = conf.getint("metrics", "otel_interval_milliseconds", fallback=60000) / 1000
        metric_attributes = resource_attributes(conf.get("metrics", "otel_service") or "Airflow")
        name = f"{conf.get('metrics', 'otel_prefix') or 'airflow'}.{component.replace('-', '_')}_heartbeat"

        def metrics_loop() -> None:
            beats = 0
            while True:
                time.sleep(interval)
                beats += 1
                metrics_exporter.export(metrics_request(metric_attributes, name, beats, started_ns, time.time_ns()))

        threading.Thread(target=metrics_loop, name="otel-metrics", daemon=True).start()
    if conf.getboolean("traces", "otel_on"):
        trace_exporter = _Exporter(conf, "traces", "traces")
        delay = int(os.environ.get("OTEL_BSP_SCHEDULE_DELAY", "5000")) / 1000
        body = trace_request(resource_attributes(conf.get("traces", "otel_service") or "Airflow"), f"{component} start", started_ns, time.time_ns())

        def trace_once() -> None:
            time.sleep(delay)
            trace_exporter.export(body)

        threading.Thread(target=trace_once, name="otel-traces", daemon=True).start()
