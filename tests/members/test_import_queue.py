"""Member imports run on their own Celery queue with their own time limit (issue 13 hole 3), so a long or
hostile file can never hold the workers that send reminders and alerts — and everything that starts workers
starts one for that queue."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app, import_queue

ROOT = Path(__file__).resolve().parents[2]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_imports_are_routed_to_the_imports_queue_and_everything_else_to_the_default_queue():
    default = app.conf.task_default_queue
    assert queue_of("members.run_import") == import_queue() == f"{default}.imports"
    for name in ("reviews.send_reminders", "risks.refresh_alerts", "core.send_notification_emails",
                 "members.import_watchdog"):  # fmt: skip
        assert queue_of(name) == default


def test_the_imports_queue_follows_the_default_queue():
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = "concord-x"
    try:
        assert queue_of("members.run_import") == "concord-x.imports"
    finally:
        app.conf.task_default_queue = previous


def test_imports_have_their_own_time_limit():
    from members.tasks import run_import
    from reviews.tasks import send_reminders

    assert run_import.time_limit == settings.MEMBER_IMPORT_TIME_LIMIT
    assert run_import.soft_time_limit < run_import.time_limit
    assert send_reminders.time_limit == settings.CELERY_TASK_TIME_LIMIT  # reminders keep the global limit


@pytest.mark.parametrize("queue", ["concord", "staging"])
def test_make_run_starts_a_worker_for_each_queue(queue):
    spec = importlib.util.spec_from_file_location("concord_run_script", ROOT / "scripts" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    commands = run.worker_commands(queue)
    consumed = [command[command.index("-Q") + 1] for command in commands.values()]
    assert sorted(consumed) == sorted([queue, f"{queue}.imports"])
