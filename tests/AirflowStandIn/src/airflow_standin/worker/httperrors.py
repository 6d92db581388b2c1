"""The httpx exceptions the Task SDK's client lets through, with httpx's names and messages.

The stand-in uses urllib, but records failures exactly as Airflow's worker does: Celery stores
``type(exc).__qualname__`` and ``__module__``, so these classes are named ``httpx.ConnectError`` etc.
"""

from __future__ import annotations


def _rebuild(name: str, args: tuple, state: dict) -> Exception:
    """Unpickle one of these classes (they cannot be pickled by reference: there is no module httpx)."""
    exc = Exception.__new__(globals()[name], *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class HTTPError(Exception):
    """Billiard pickles task exceptions to hand them from the pool process to the worker."""

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __reduce__(self):
        return _rebuild, (type(self).__name__, self.args, self.__dict__)


class RequestError(HTTPError):
    def __init__(self, message: str, *, request=None) -> None:
        super().__init__(message)
        self.request = request


class TransportError(RequestError):
    pass


class TimeoutException(TransportError):
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class NetworkError(TransportError):
    pass


class ConnectError(NetworkError):
    pass


class ReadError(NetworkError):
    pass


class RemoteProtocolError(TransportError):
    pass


class HTTPStatusError(HTTPError):
    def __init__(self, message: str, *, request, response) -> None:
        super().__init__(message)
        self.request = request
        self.response = response


for _cls in (HTTPError, RequestError, TransportError, TimeoutException, ConnectTimeout, ReadTimeout,
             NetworkError, ConnectError, ReadError, RemoteProtocolError, HTTPStatusError):
    _cls.__module__ = "httpx"
