"""Configuration as Airflow resolves it: AIRFLOW__SECTION__KEY, then airflow.cfg, then defaults.

Follows airflow-core/src/airflow/configuration.py:
- ``AIRFLOW_HOME`` defaults to ``~/airflow``; the file is ``AIRFLOW_CONFIG`` or ``$AIRFLOW_HOME/airflow.cfg``.
- ``write_default_airflow_configuration_if_needed``: the first process that finds no config file writes
  one with freshly generated secrets (``[api_auth] jwt_secret`` and ``[api] secret_key`` are
  ``b64encode(os.urandom(16))``, ``[core] fernet_key`` a new Fernet key unless it is already set), and
  keeps using the values it generated; processes that start later read them from the file.

Only the defaults this stand-in uses are copied here, from Airflow 3.0.3's config.yml (and the Celery
provider's provider.yaml); ``_CMD`` / ``_SECRET`` variants are not supported.
"""

from __future__ import annotations

import base64
import configparser
import json
import os
import sys
import tempfile

# Defaults copied from /work/shared/reference/airflow/3.0.3/config.yml (line numbers of the 3.0.3 file)
# and provider.yaml (Celery provider). "{AIRFLOW_HOME}" is substituted as Airflow does.
DEFAULTS: dict[tuple[str, str], str | None] = {
    ("core", "dags_folder"): "{AIRFLOW_HOME}/dags",  # config.yml:30
    ("core", "hostname_callable"): "airflow.utils.net.getfqdn",  # config.yml:31
    ("core", "executor"): "LocalExecutor",  # config.yml:78
    ("core", "simple_auth_manager_users"): "admin:admin",  # config.yml:86
    ("core", "simple_auth_manager_all_admins"): "False",  # config.yml:97
    ("core", "simple_auth_manager_passwords_file"): None,  # config.yml:104
    ("core", "max_active_tasks_per_dag"): "16",  # config.yml:122
    ("core", "dags_are_paused_at_creation"): "True",  # config.yml:135
    ("core", "max_active_runs_per_dag"): "16",  # config.yml:142
    ("core", "max_consecutive_failed_dag_runs_per_dag"): "0",  # config.yml:151
    ("core", "load_examples"): "True",
    ("core", "fernet_key"): "{FERNET_KEY}",  # config.yml:202
    ("core", "plugins_folder"): "{AIRFLOW_HOME}/plugins",  # config.yml:183
    ("core", "default_pool_task_slot_count"): "128",  # config.yml:441
    ("core", "dagbag_import_error_traceback_depth"): "2",  # config.yml:225
    ("core", "dag_discovery_safe_mode"): "True",  # config.yml:289
    ("core", "default_task_retries"): "0",  # config.yml:306
    ("core", "dag_run_conf_overrides_params"): "True",  # config.yml:287
    ("core", "execution_api_server_url"): None,  # config.yml:503 (default ~)
    ("database", "sql_alchemy_conn"): "sqlite:///{AIRFLOW_HOME}/airflow.db",  # config.yml:534
    ("database", "check_migrations"): "True",  # config.yml:656
    ("logging", "base_log_folder"): "{AIRFLOW_HOME}/logs",  # config.yml:685
    ("logging", "logging_level"): "INFO",
    ("logging", "celery_logging_level"): "",
    ("logging", "log_filename_template"): (  # config.yml:894 ("%%" is configparser's escaped "%")
        "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/"
        "{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}"
        "attempt={{ try_number|default(ti.try_number) }}.log"
    ),
    ("logging", "worker_log_server_port"): "8793",  # config.yml:920
    ("logging", "trigger_log_server_port"): "8794",  # config.yml:931
    ("api", "secret_key"): "{SECRET_KEY}",  # config.yml:1308
    ("api", "base_url"): None,  # config.yml:1337
    ("api", "host"): "0.0.0.0",  # config.yml:1346
    ("api", "port"): "8080",  # config.yml:1353
    ("api", "workers"): "4",  # config.yml:1360
    ("api", "log_fetch_timeout_sec"): "5",  # config.yml:1448
    ("workers", "min_heartbeat_interval"): "5",  # config.yml:1519
    ("workers", "max_failed_heartbeats"): "3",
    ("workers", "execution_api_retries"): "5",  # config.yml:1534
    ("workers", "execution_api_retry_wait_min"): "1.0",
    ("workers", "execution_api_retry_wait_max"): "90.0",
    ("api_auth", "jwt_audience"): None,  # config.yml:1567
    ("api_auth", "jwt_expiration_time"): "86400",  # config.yml:1581
    ("api_auth", "jwt_cli_expiration_time"): "3600",
    ("api_auth", "jwt_secret"): "{JWT_SECRET_KEY}",  # config.yml:1605
    ("api_auth", "jwt_algorithm"): None,
    ("api_auth", "jwt_issuer"): None,
    ("api_auth", "jwt_leeway"): "10",
    ("execution_api", "jwt_expiration_time"): "600",  # config.yml:1698
    ("execution_api", "jwt_audience"): "urn:airflow.apache.org:task",  # config.yml:1709
    ("operators", "default_owner"): "airflow",  # config.yml:1736
    ("operators", "default_queue"): "default",  # config.yml:1783
    ("scheduler", "job_heartbeat_sec"): "5",  # config.yml:1950
    ("scheduler", "scheduler_heartbeat_sec"): "5",  # config.yml:1959
    ("scheduler", "scheduler_idle_sleep_time"): "1",  # config.yml:1985
    ("scheduler", "scheduler_health_check_threshold"): "30",  # config.yml:2017
    ("scheduler", "enable_health_check"): "False",  # config.yml:2027
    ("scheduler", "scheduler_health_check_server_host"): "0.0.0.0",  # config.yml:2035
    ("scheduler", "scheduler_health_check_server_port"): "8974",  # config.yml:2043
    ("triggerer", "job_heartbeat_sec"): "5",  # config.yml:2235
    ("triggerer", "triggerer_health_check_threshold"): "30",  # config.yml:2242
    ("dag_processor", "refresh_interval"): "300",  # config.yml:2366
    ("dag_processor", "min_file_process_interval"): "30",  # config.yml:2402
    ("dag_processor", "dag_file_processor_timeout"): "50",  # config.yml:2423
    ("dag_processor", "dag_bundle_config_list"):  # config.yml:2412 (3.0.3): the dags folder bundle
        '[{"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {}}]',
    # Celery provider, provider.yaml
    ("celery", "celery_app_name"): "airflow.providers.celery.executors.celery_executor",
    ("celery", "worker_concurrency"): "16",
    ("celery", "worker_prefetch_multiplier"): "1",
    ("celery", "broker_url"): "redis://redis:6379/0",
    ("celery", "result_backend"): None,
    ("celery", "flower_host"): "0.0.0.0",
    ("celery", "flower_url_prefix"): "",
    ("celery", "flower_port"): "5555",
    ("celery", "flower_basic_auth"): "",
    ("celery", "operation_timeout"): "1.0",
    ("celery", "task_track_started"): "True",
    ("celery", "task_acks_late"): "True",
    ("celery", "worker_enable_remote_control"): "True",
    ("celery", "broker_connection_retry_on_startup"): "True",
    ("celery", "ssl_active"): "False",
    # [metrics] and [traces] OpenTelemetry keys, config.yml:1159-1260 (see otel.py).
    ("metrics", "otel_on"): "False",
    ("metrics", "otel_host"): "localhost",
    ("metrics", "otel_port"): "8889",
    ("metrics", "otel_prefix"): "airflow",
    ("metrics", "otel_interval_milliseconds"): "60000",
    ("metrics", "otel_service"): "Airflow",
    ("metrics", "otel_ssl_active"): "False",
    ("traces", "otel_on"): "False",
    ("traces", "otel_host"): "localhost",
    ("traces", "otel_port"): "8889",
    ("traces", "otel_service"): "Airflow",
    ("traces", "otel_ssl_active"): "False",
}

_TRUE = {"t", "true", "1", "yes", "y", "on"}
_FALSE = {"f", "false", "0", "no", "n", "off"}


def airflow_home() -> str:
    return os.path.expanduser(os.environ.get("AIRFLOW_HOME") or "~/airflow")


def airflow_config_path() -> str:
    return os.path.expanduser(os.environ.get("AIRFLOW_CONFIG") or os.path.join(airflow_home(), "airflow.cfg"))


def _b64_secret() -> str:
    return base64.b64encode(os.urandom(16)).decode("utf-8")


def _fernet_key() -> str:
    # cryptography's Fernet.generate_key(): url-safe base64 of 32 random bytes
    return base64.urlsafe_b64encode(os.urandom(32)).decode("utf-8")


class Config:
    """Env over airflow.cfg over defaults, with the secrets this process generated if it wrote the file."""

    def __init__(self) -> None:
        self.home = airflow_home()
        self.path = airflow_config_path()
        self._templates = {
            "AIRFLOW_HOME": self.home,
            "FERNET_KEY": "",
            "SECRET_KEY": _b64_secret(),
            "JWT_SECRET_KEY": _b64_secret(),
        }
        self._parser = configparser.RawConfigParser(strict=False)
        self._write_default_config_if_needed()
        if os.path.exists(self.path):
            self._parser.read(self.path)

    # --- airflow.cfg -------------------------------------------------------------------------------
    def _write_default_config_if_needed(self) -> None:
        if os.path.exists(self.path):
            return
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"Airflow config expected to be a file, but {self.path} is a directory")
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        if self._env("core", "fernet_key") in (None, ""):
            self._templates["FERNET_KEY"] = _fernet_key()
        lines = [
            "# Written by the AirflowAspire test double of Airflow 3.0.3 (tests/AirflowStandIn), as",
            "# Airflow's write_default_airflow_configuration_if_needed does: defaults with fresh secrets.",
            "# Only the options the stand-in reads are listed.",
        ]
        sections: dict[str, list[tuple[str, str | None]]] = {}
        for (section, key), value in DEFAULTS.items():
            sections.setdefault(section, []).append((key, value))
        for section, items in sections.items():
            lines.append("")
            lines.append(f"[{section}]")
            for key, value in items:
                lines.append(f"# Variable: AIRFLOW__{section.upper()}__{key.upper()}")
                if value is None:
                    lines.append(f"# {key} =")
                else:
                    lines.append(f"{key} = {self._render(value)}")
        content = "\n".join(lines) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".airflow.cfg.", dir=os.path.dirname(self.path) or ".")
        with os.fdopen(fd, "w") as f:
            f.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self.wrote_config = True

    def _render(self, value: str) -> str:
        for name, sub in self._templates.items():
            value = value.replace("{" + name + "}", sub)
        return value

    # --- lookups -----------------------------------------------------------------------------------
    @staticmethod
    def _env(section: str, key: str) -> str | None:
        return os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")

    def get(self, section: str, key: str, fallback: str | None = None) -> str | None:
        section, key = section.lower(), key.lower()
        value = self._env(section, key)
        if value is not None:
            return value
        if self._parser.has_option(section, key):
            return self._parser.get(section, key)
        default = DEFAULTS.get((section, key))
        if default is not None:
            return self._render(default)
        return fallback

    def getboolean(self, section: str, key: str, fallback: bool = False) -> bool:
        value = self.get(section, key)
        if value is None or value == "":
            return fallback
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f'Failed to convert value to bool. Please check "{key}" key in "{section}" section. '
                         f'Current value: "{value}".')

    def getint(self, section: str, key: str, fallback: int = 0) -> int:
        value = self.get(section, key)
        return fallback if value in (None, "") else _convert(int, section, key, value)

    def getfloat(self, section: str, key: str, fallback: float = 0.0) -> float:
        value = self.get(section, key)
        return fallback if value in (None, "") else _convert(float, section, key, value)

    def getlist(self, section: str, key: str, delimiter: str = ",") -> list[str]:
        value = self.get(section, key) or ""
        return [v.strip() for v in value.split(delimiter) if v.strip()]

    def getsection(self, section: str) -> dict[str, str]:
        result: dict[str, str] = {}
        if self._parser.has_section(section):
            result.update(dict(self._parser.items(section)))
        prefix = f"AIRFLOW__{section.upper()}__"
        for name, value in os.environ.items():
            if name.startswith(prefix):
                result[name[len(prefix):].lower()] = value
        return result

    # --- derived values ----------------------------------------------------------------------------
    def default_execution_api_server_url(self) -> str:
        """celery_executor_utils.execute_workload: from [api] base_url, else http://localhost:8080."""
        base_url = self.get("api", "base_url", fallback="/") or "/"
        if base_url.startswith("/"):
            base_url = f"http://localhost:8080{base_url}"
        return f"{base_url.rstrip('/')}/execution/"

    def execution_api_server_url(self) -> str:
        return self.get("core", "execution_api_server_url") or self.default_execution_api_server_url()

    def dags_folder(self) -> str:
        return os.path.abspath(os.path.expanduser(self.get("core", "dags_folder")))

    def dag_bundles(self) -> list[tuple[str, str]]:
        """(name, path) of each bundle of ``[dag_processor] dag_bundle_config_list``, as 3.0.3's DagBundlesManager reads it
        (airflow-core/src/airflow/dag_processing/bundles/manager.py ``_parse_config``: a list of dicts with exactly
        name, classpath and kwargs, names unique); a LocalDagBundle's ``path`` defaults to ``[core] dags_folder``
        (bundles/local.py). Only LocalDagBundle is played."""
        import json

        def invalid(message: str) -> SystemExit:
            return SystemExit(f"airflow.exceptions.AirflowConfigException: Bundle config is not a list. Check config "
                              f"value [dag_processor] dag_bundle_config_list: {message}")

        try:
            items = json.loads(self.get("dag_processor", "dag_bundle_config_list"))
        except ValueError:
            raise invalid("Unable to parse [dag_processor] dag_bundle_config_list as JSON") from None
        if not isinstance(items, list):
            raise invalid(f"Expected list but got {items.__class__}")
        bundles = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"name", "classpath", "kwargs"}:
                raise invalid(f"Expected keys {{'name', 'classpath', 'kwargs'}} in {item}")
            if item["classpath"] != "airflow.dag_processing.bundles.local.LocalDagBundle":
                raise invalid(f"the stand-in plays only LocalDagBundle, not {item['classpath']}")
            path = (item.get("kwargs") or {}).get("path") or self.dags_folder()
            bundles.append((item["name"], os.path.abspath(os.path.expanduser(path))))
        names = [name for name, _ in bundles]
        if len(set(names)) != len(names):
            raise invalid(f"One or more bundle names appeared multiple times: {names}")
        return bundles

    def dag_bundle_path(self, name: str) -> str:
        """DagBundlesManager.get_bundle(name).path; ValueError "Requested bundle '{name}' is not configured." otherwise."""
        for bundle, path in self.dag_bundles():
            if bundle == name:
                return path
        raise ValueError(f"Requested bundle '{name}' is not configured.")

    def plugins_folder(self) -> str:
        """settings.py: PLUGINS_FOLDER = conf.get("core", "plugins_folder", fallback=AIRFLOW_HOME/plugins)."""
        return self.get("core", "plugins_folder") or os.path.join(airflow_home(), "plugins")

    def base_log_folder(self) -> str:
        return os.path.abspath(os.path.expanduser(self.get("logging", "base_log_folder")))


_conf: Config | None = None


def prepare_syspath_for_config_and_plugins() -> None:
    """airflow/settings.py (3.0.3), run by settings.initialize() when any Airflow process imports airflow: appends
    AIRFLOW_HOME/config and [core] plugins_folder to sys.path, so DAG files and tasks import modules from the plugins
    folder. Forked children (parsers, task processes, Celery's pool) inherit it."""
    config_path = os.path.join(airflow_home(), "config")
    if config_path not in sys.path:
        sys.path.append(config_path)
    plugins = conf().plugins_folder()
    if plugins not in sys.path:
        sys.path.append(plugins)


def conf() -> Config:
    global _conf
    if _conf is None:
        _conf = Config()
    return _conf


def standin_settings() -> dict:
    """The stand-in's own settings, not Airflow's: <venv>/airflow-standin.json (make-venv --import-seconds)."""
    try:
        with open(os.path.join(sys.prefix, "airflow-standin.json")) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def faults() -> dict:
    """The optional fault switches: <venv>/airflow-standin-faults.json (sys.prefix is the venv)."""
    path = os.path.join(sys.prefix, "airflow-standin-faults.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise SystemExit(f"{path} must hold a JSON object")
    return data


class AirflowConfigException(Exception):
    """airflow.exceptions.AirflowConfigException."""


def _convert(kind, section: str, key: str, value: str):
    """AirflowConfigParser.getint/getfloat (airflow-core/src/airflow/configuration.py): a value that is not one is an error."""
    try:
        return kind(value)
    except ValueError:
        raise AirflowConfigException(
            f'Failed to convert value to {kind.__name__}. Please check "{key}" key in "{section}" section. '
            f'Current value: "{value}".') from None
