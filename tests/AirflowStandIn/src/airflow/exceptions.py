"""Stand-in of ``airflow.exceptions``: the exceptions the stand-in's commands and shims raise, under Airflow's names.

airflow-core/src/airflow/exceptions.py of 3.0.3: an uncaught one ends an ``airflow`` command with Python's traceback,
whose last line names ``airflow.exceptions.<class>`` as Airflow's does; ``AirflowFileParseException.__str__`` is
Airflow's (without the code snippet it adds only on a terminal, ``is_tty()``).
"""

from __future__ import annotations

from typing import NamedTuple


class AirflowException(Exception):
    status_code = 500


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowNotFoundException(AirflowException):
    status_code = 404


class ConnectionNotUnique(AirflowException):
    pass


class FileSyntaxError(NamedTuple):
    line_no: int | None
    message: str

    def __str__(self):
        return f"{self.message}. Line number: s{str(self.line_no)},"


class AirflowFileParseException(AirflowException):
    def __init__(self, msg: str, file_path: str, parse_errors: list[FileSyntaxError]) -> None:
        super().__init__(msg)
        self.msg = msg
        self.file_path = file_path
        self.parse_errors = parse_errors

    def __str__(self):
        result = f"{self.msg}\nFilename: {self.file_path}\n\n"
        for error_no, parse_error in enumerate(self.parse_errors, 1):
            result += "=" * 20 + f" Parse error {error_no:3} " + "=" * 20 + "\n"
            result += f"{parse_error.message}\n"
            if parse_error.line_no:
                result += f"Line number:  {parse_error.line_no}\n"
        return result
