"""A plugin Airflow's plugins manager loads from [core] plugins_folder (listed by GET /api/v2/plugins)."""

from airflow.plugins_manager import AirflowPlugin


class SamplePlugin(AirflowPlugin):
    name = "sample_plugin"
