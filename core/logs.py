"""Log context: the request id and debug session a log line belongs to, and JSON log lines.

Every log record carries ``request_id`` and ``session_id`` (None where unknown), read from
context variables when the record is made, so a line logged anywhere while a request is
handled, or while the relay acts on a command that request sent, names them. The relay sets
them from the command's ``request_id`` field (sessions/relay/server.py).
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

if TYPE_CHECKING:
    from django.http import HttpRequest

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
session_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "session_id", default=None
)

# An incoming X-Request-ID is kept only if it looks like an id: a proxy's UUID or a short token,
# never free text that could forge log lines or fill them.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accepted(incoming: str | None) -> str:
    """``incoming`` if it is a sane request id, else a new one."""
    if incoming and REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return request_id_new()


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def log_context(*, request_id: str | None = None, session_id: int | None = None) -> Iterator[None]:
    """Records made inside carry these ids (None keeps what the context already has)."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if session_id is not None:
        tokens.append((session_id_var, session_id_var.set(session_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def _install_record_context() -> None:
    """Make every LogRecord carry the context's ids (once, whatever the handlers: pytest's
    caplog sees them too)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "switchboard_context", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        record.session_id = session_id_var.get()
        return record

    factory.switchboard_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: the record context, then the LOGGING dict."""
    _install_record_context()
    logging.config.dictConfig(config)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and request_id,
    session_id and exception where known."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("request_id", "session_id"):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """The LOGGING setting: plain messages (``fmt`` "text") or JSON lines ("json")."""
    formatter: dict[str, Any] = (
        {"()": "core.logs.JsonFormatter"} if fmt == "json" else {"format": "%(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"handlers": ["console"], "level": level},
    }


REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give each request an id: a sane incoming ``X-Request-ID`` (a proxy's) or a new one. It
    is on every log record made while the request is handled, in ``request.request_id``, and in
    the response's ``X-Request-ID``. A URL naming a debug session (``session_id``) puts that on
    the records too."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        request_id = self._accept(request)
        with _request_context(request_id):
            response = self.get_response(request)
            _log_failed(request, response)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> Any:
        request_id = self._accept(request)
        with _request_context(request_id):
            response = await self.get_response(request)
            _log_failed(request, response)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def _accept(self, request: HttpRequest) -> str:
        request_id = request_id_accepted(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        session_id = kwargs.get("session_id")
        if isinstance(session_id, int):
            # For the rest of this request: _request_context resets it.
            session_id_var.set(session_id)


def _log_failed(request: HttpRequest, response: Any) -> None:
    """Django's "Not Found: /path" line, logged here (as Django would after the middleware, where
    the request's id is no longer set) so it carries the id; Django then skips it."""
    if response.status_code >= 400:
        from django.utils.log import log_response

        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request
        )


@contextmanager
def _request_context(request_id: str) -> Iterator[None]:
    request_token = request_id_var.set(request_id)
    session_token = session_id_var.set(None)
    try:
        yield
    finally:
        session_id_var.reset(session_token)
        request_id_var.reset(request_token)


def command_log_context(command: dict[str, Any]) -> Any:
    """``log_context`` for a relay command: the request id the web process sent with it, and
    its session."""
    request_id = command.get("request_id")
    session_id = command.get("session")
    return log_context(
        request_id=request_id if isinstance(request_id, str) else None,
        session_id=session_id if isinstance(session_id, int) else None,
    )
