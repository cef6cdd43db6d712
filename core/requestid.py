"""A request id on every log line, from the web request into the Celery tasks it enqueues (SPEC 10.5, issue 19).

- :class:`RequestIdMiddleware` (first in ``MIDDLEWARE``) takes the client's ``X-Request-ID`` when it is a sane
  token (1–64 characters of ``[A-Za-z0-9._-]``, as load balancers send) or makes a uuid4 hex, keeps it in a
  context variable for the request, and returns it in the ``X-Request-ID`` response header.
- :class:`RequestIdFilter` (on the log handlers, settings ``LOGGING``) copies it onto every log record as
  ``request_id``, and inside a Celery task ``task_id`` and ``task_name`` too; ``LOG_FORMAT=json`` prints them as
  fields of one JSON object per line (python-json-logger).
- :func:`connect_celery_signals` (called by ``config/celery.py``): publishing a task puts the current id in the
  message headers (``before_task_publish``), and the worker sets it around the task's run (``task_prerun`` /
  ``task_postrun``). With ``LOG_FORMAT=json`` the worker keeps Django's ``LOGGING`` instead of Celery's own
  console format, so its lines are JSON too.

Nothing personal is logged here: the id is random (or the client's own token), never a name or an address.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

HEADER = "X-Request-ID"
# The message header that carries the id to the worker.
TASK_HEADER = "request_id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: ContextVar[str | None] = ContextVar("concord_request_id", default=None)
_task_var: ContextVar[tuple[str, str] | None] = ContextVar("concord_task", default=None)


def current_request_id() -> str | None:
    """The id of the request (or of the request that enqueued the running task), if any."""
    return request_id_var.get()


def clean_request_id(value: str | None) -> str | None:
    """``value`` if it is a token we can safely log and echo back, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    """A fresh id: 32 hexadecimal characters."""
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id: the client's sane ``X-Request-ID`` or a new one; echo it in the response.

    The id stays set until ``request_finished`` (the response closed), not just until this middleware returns:
    Django logs a 4xx/5xx answer ("Not Found: …") after the whole middleware chain, and that line needs it too.
    """

    def __init__(self, get_response: Callable) -> None:
        from django.core.signals import request_finished

        self.get_response = get_response
        request_finished.connect(_forget_request_id, weak=False, dispatch_uid="concord-request-id-finished")

    def __call__(self, request: Any) -> Any:
        request_id = clean_request_id(request.headers.get(HEADER)) or new_request_id()
        request.request_id = request_id
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget_request_id(**kwargs: Any) -> None:
    """``request_finished``: later lines of this thread (between requests) carry no id."""
    request_id_var.set(None)


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` (None outside a request or task) and, inside a Celery task, ``task_id`` and
    ``task_name`` to every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        task = _task_var.get()
        if task is not None:
            record.task_id, record.task_name = task
        return True


# --- Celery ---------------------------------------------------------------------------------------------------

_TOKENS: dict[str, tuple[Token, Token]] = {}


def _header_from(request: Any) -> str | None:
    """The id a task's message carried: a custom header becomes an attribute of the worker's request context;
    ``Task.apply(headers=...)`` keeps it in ``request.headers``."""
    value = getattr(request, TASK_HEADER, None)
    if not value:
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return clean_request_id(value) if isinstance(value, str) else None


def on_before_task_publish(headers: dict | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the current request id goes into the message headers (kept if already set)."""
    request_id = request_id_var.get()
    if request_id and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


def on_task_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: the task's log records carry its request id (if its message had one; in eager mode the
    enqueuing request's id stays), its id and its name."""
    request_id = _header_from(getattr(task, "request", None)) or request_id_var.get()
    name = getattr(task, "name", None) or ""
    _TOKENS[task_id or ""] = (request_id_var.set(request_id), _task_var.set((task_id or "", name)))


def on_task_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    """``task_postrun``: put back what was there before the task ran."""
    tokens = _TOKENS.pop(task_id or "", None)
    if tokens is None:
        return
    request_token, task_token = tokens
    try:
        request_id_var.reset(request_token)
        _task_var.reset(task_token)
    except ValueError:  # a token from another context (cannot happen with Celery's pools; be safe)
        request_id_var.set(None)
        _task_var.set(None)


def _keep_django_logging(**kwargs: Any) -> None:
    """``setup_logging``: connected only with ``LOG_FORMAT=json``; Celery then leaves the root logger to
    Django's ``LOGGING`` (one JSON object per line) instead of installing its own plain format."""


def connect_celery_signals() -> None:
    """Wire the request id into Celery (called once by ``config/celery.py``)."""
    from celery import signals

    signals.before_task_publish.connect(on_before_task_publish, weak=False, dispatch_uid="concord-request-id-pub")
    signals.task_prerun.connect(on_task_prerun, weak=False, dispatch_uid="concord-request-id-pre")
    signals.task_postrun.connect(on_task_postrun, weak=False, dispatch_uid="concord-request-id-post")
    if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
        signals.setup_logging.connect(_keep_django_logging, weak=False, dispatch_uid="concord-json-logging")
