"""Stand-in of task-sdk ``airflow.sdk.exceptions`` (3.0.3): ``AirflowRuntimeError`` and ``ErrorType``."""

from __future__ import annotations

import enum


class AirflowRuntimeError(Exception):
    """Generic Airflow error raised by runtime functions: message ``"{error type}: {detail}"``."""

    def __init__(self, error):
        self.error = error
        super().__init__(f"{error.error.value}: {error.detail}")


class ErrorType(enum.Enum):
    CONNECTION_NOT_FOUND = "CONNECTION_NOT_FOUND"
    VARIABLE_NOT_FOUND = "VARIABLE_NOT_FOUND"
    XCOM_NOT_FOUND = "XCOM_NOT_FOUND"
    ASSET_NOT_FOUND = "ASSET_NOT_FOUND"
    DAGRUN_ALREADY_EXISTS = "DAGRUN_ALREADY_EXISTS"
    GENERIC_ERROR = "GENERIC_ERROR"
    API_SERVER_ERROR = "API_SERVER_ERROR"
