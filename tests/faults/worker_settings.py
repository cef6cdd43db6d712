"""Settings for a worker started by a fault test: the real settings, with Redis redelivering a dead worker's
unacknowledged task within seconds (kombu's default sweep of the unacked set runs about every 100 s)."""

from __future__ import annotations

from config.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
