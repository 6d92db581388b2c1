"""Stand-in of ``airflow.plugins_manager`` (airflow-core/src/airflow/plugins_manager.py of 3.0.3).

``AirflowPlugin`` with its list attributes; ``load_plugins_from_plugin_directory``: every ``.py`` file under
``[core] plugins_folder`` (``.airflowignore`` not read) is imported as a module named by its stem
(``SourceFileLoader``, registered in ``sys.modules``); each ``AirflowPlugin`` subclass in it is validated ("Your
plugin needs a name."), instantiated with ``source`` = ``PluginsDirectorySource`` ("$PLUGINS_FOLDER/<relative
path>") and registered once by name; a file that raises is logged ("Failed to import plugin %s") and recorded in
``import_errors[path] = str(e)``, not raised. ``get_plugin_info`` dumps PLUGINS_ATTRIBUTES_TO_DUMP as 3.0.3 does.
Loaded once per process (``ensure_plugins_loaded``). Example plugins (``[core] load_examples``) are not simulated.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import logging
import os
import sys
import traceback
from typing import Any

log = logging.getLogger(__name__)

plugins: list["AirflowPlugin"] | None = None
import_errors: dict[str, str] = {}


class AirflowPluginException(Exception):
    """Exception when loading plugin."""


class AirflowPluginSource:
    def __str__(self):
        raise NotImplementedError


class PluginsDirectorySource(AirflowPluginSource):
    def __init__(self, path: str, plugins_folder: str):
        self.path = os.path.relpath(path, plugins_folder)

    def __str__(self):
        return f"$PLUGINS_FOLDER/{self.path}"


class AirflowPlugin:
    name: str | None = None
    source: AirflowPluginSource | None = None
    macros: list[Any] = []
    admin_views: list[Any] = []
    flask_blueprints: list[Any] = []
    fastapi_apps: list[Any] = []
    fastapi_root_middlewares: list[Any] = []
    menu_links: list[Any] = []
    appbuilder_views: list[Any] = []
    appbuilder_menu_items: list[Any] = []
    global_operator_extra_links: list[Any] = []
    operator_extra_links: list[Any] = []
    timetables: list[Any] = []
    listeners: list[Any] = []
    hook_lineage_readers: list[Any] = []
    priority_weight_strategies: list[Any] = []

    @classmethod
    def validate(cls):
        if not cls.name:
            raise AirflowPluginException("Your plugin needs a name.")

    @classmethod
    def on_load(cls, *args, **kwargs):
        """Executed when the plugin is loaded."""


def plugins_folder() -> str:
    from airflow_standin.config import conf

    return conf().plugins_folder()


def is_valid_plugin(plugin_obj) -> bool:
    if inspect.isclass(plugin_obj) and issubclass(plugin_obj, AirflowPlugin) and plugin_obj is not AirflowPlugin:
        plugin_obj.validate()
        return plugin_obj not in (plugins or [])
    return False


def register_plugin(plugin_instance: AirflowPlugin) -> None:
    if plugin_instance.name in {p.name for p in plugins}:
        return
    plugin_instance.on_load()
    plugins.append(plugin_instance)


def _plugin_files(folder: str):
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            yield os.path.join(root, name)


def load_plugins_from_plugin_directory() -> None:
    folder = plugins_folder()
    if not os.path.isdir(folder):
        return
    for file_path in _plugin_files(folder):
        if not os.path.isfile(file_path) or not file_path.endswith(".py"):
            continue
        mod_name = os.path.splitext(os.path.basename(file_path))[0]
        try:
            loader = importlib.machinery.SourceFileLoader(mod_name, file_path)
            spec = importlib.util.spec_from_loader(mod_name, loader)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = mod
            loader.exec_module(mod)
            for value in [m for m in mod.__dict__.values() if is_valid_plugin(m)]:
                instance = value()
                instance.source = PluginsDirectorySource(file_path, folder)
                register_plugin(instance)
        except Exception as e:
            # log.exception("Failed to import plugin %s", file_path), on the process's output
            print(f"ERROR - Failed to import plugin {file_path}\n{traceback.format_exc()}", file=sys.stderr,
                  flush=True)
            import_errors[file_path] = str(e)


def ensure_plugins_loaded() -> None:
    global plugins
    if plugins is not None:
        return
    plugins = []
    load_plugins_from_plugin_directory()


def _qualname(o: Any) -> str:
    """airflow/utils/module_loading.py qualname."""
    if callable(o) and hasattr(o, "__module__") and hasattr(o, "__name__"):
        return f"{o.__module__}.{o.__name__}"
    cls = o if isinstance(o, type) else type(o)
    return f"{cls.__module__}.{cls.__name__}"


def get_plugin_info() -> list[dict[str, Any]]:
    ensure_plugins_loaded()
    info_list = []
    for plugin in plugins or []:
        info: dict[str, Any] = {"name": plugin.name}
        info["macros"] = [_qualname(d) for d in plugin.macros]
        info["timetables"] = [_qualname(d) for d in plugin.timetables]
        info["priority_weight_strategies"] = [_qualname(d) for d in plugin.priority_weight_strategies]
        info["listeners"] = [d.__name__ if inspect.ismodule(d) else _qualname(d) for d in plugin.listeners]
        info["global_operator_extra_links"] = [f"<{_qualname(d.__class__)} object>"
                                               for d in plugin.global_operator_extra_links]
        info["operator_extra_links"] = [f"<{_qualname(d.__class__)} object>" for d in plugin.operator_extra_links]
        info["appbuilder_views"] = [{**d, "view": _qualname(d["view"].__class__) if "view" in d else None}
                                    for d in plugin.appbuilder_views]
        info["appbuilder_menu_items"] = list(plugin.appbuilder_menu_items)
        info["flask_blueprints"] = [f"<{_qualname(d.__class__)}: name={d.name!r} import_name={d.import_name!r}>"
                                    for d in plugin.flask_blueprints]
        info["fastapi_apps"] = [{**d, "app": _qualname(d["app"].__class__) if "app" in d else None}
                                for d in plugin.fastapi_apps]
        info["fastapi_root_middlewares"] = [
            {k: v for k, v in d.items() if k not in ("args", "kwargs")} | {"middleware": _qualname(d["middleware"])}
            for d in plugin.fastapi_root_middlewares]
        info["admin_views"] = list(plugin.admin_views)
        info["menu_links"] = list(plugin.menu_links)
        info["source"] = str(plugin.source) if plugin.source else None
        info_list.append(info)
    return info_list
