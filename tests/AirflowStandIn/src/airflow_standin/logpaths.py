"""Task log file names: ``[logging] log_filename_template`` under ``[logging] base_log_folder``.

Airflow renders the template with Jinja (airflow.utils.helpers.log_filename_template_renderer); the
stand-in renders the default template of config.yml and simple ``{{ ti.x }}`` / ``{{ try_number }}``
substitutions, which is all the AppHost uses.
"""

from __future__ import annotations

import os
import re

from airflow_standin.config import DEFAULTS, conf


def render_log_filename(dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
    template = conf().get("logging", "log_filename_template")
    if template == DEFAULTS[("logging", "log_filename_template")]:
        mapped = f"map_index={map_index}/" if map_index >= 0 else ""
        return f"dag_id={dag_id}/run_id={run_id}/task_id={task_id}/{mapped}attempt={try_number}.log"
    values = {"ti.dag_id": dag_id, "ti.run_id": run_id, "ti.task_id": task_id, "ti.map_index": str(map_index),
              "ti.try_number": str(try_number), "try_number": str(try_number),
              "try_number|default(ti.try_number)": str(try_number)}
    rendered = re.sub(r"{%.*?%}", "", template)
    return re.sub(r"{{\s*(.*?)\s*}}", lambda m: values.get(m.group(1).replace(" ", ""), m.group(0)), rendered)


def local_log_path(relative: str) -> str:
    return os.path.join(conf().base_log_folder(), relative)
