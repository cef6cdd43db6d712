"""The Celery application: ``celery -A config worker`` / ``celery -A config beat``.

Member imports run on their own queue, ``<CELERY_TASK_DEFAULT_QUEUE>.imports``: start a worker for both
queues (``-Q concord,concord.imports``) or, better, one per queue (``make run`` does).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("concord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the web request that enqueued a task goes with it into the worker's log lines (SPEC 10.5).
from core.requestid import connect_celery_signals  # noqa: E402 - after the app, which it does not need

connect_celery_signals()

IMPORT_TASKS = frozenset({"members.run_import"})


def import_queue(default_queue: str | None = None) -> str:
    """The imports queue, derived from the default queue (so test workers on a private queue get theirs)."""
    return f"{default_queue or app.conf.task_default_queue}.imports"


def route_task(name, args, kwargs, options, task=None, **kw):  # noqa: ANN001, ANN201 - Celery's router signature
    """CELERY_TASK_ROUTES: imports to their own queue; everything else to the default queue."""
    if name in IMPORT_TASKS:
        return {"queue": import_queue()}
    return None
