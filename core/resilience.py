"""Redis and the broker may stall; the site must not (SPEC 10.1 "Dependencies that stall").

Every Redis client has connect and read timeouts (settings ``REDIS_TIMEOUT_SECONDS``). On top of that, a
failed call opens a per-process *breaker* for ``REDIS_BREAKER_SECONDS``: while it is open, cache calls answer
as a miss and task publishing is skipped at once, so a frozen Redis costs one request one timeout, not every
request every timeout. What a skipped publish would have done is kept in the database and picked up by the
periodic sweeps (outbox rows, the import watchdog).

django-redis's ``IGNORE_EXCEPTIONS`` turns errors into misses too, but waits the full timeout on every call;
the breaker is what keeps ten concurrent requests from each waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class Breaker:
    """Open for a while after a failure; thread-safe enough for a flag and a timestamp."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, exc: BaseException) -> None:
        seconds = getattr(settings, "REDIS_BREAKER_SECONDS", 5)
        with self._lock:
            was_open = self.is_open
            self._open_until = time.monotonic() + seconds
        if not was_open:
            logger.warning("%s unreachable (%s); skipping it for %s s.", self.name, exc.__class__.__name__, seconds)

    def reset(self) -> None:
        self._open_until = 0.0


cache_breaker = Breaker("Redis cache")
broker_breaker = Breaker("Celery broker")

# What each cache call answers while Redis cannot: a miss, nothing stored.
_FALLBACK = {
    "get": lambda key, default=None, *a, **k: default,
    "get_many": lambda *a, **k: {},
    "has_key": lambda *a, **k: False,
    "add": lambda *a, **k: False,
    "touch": lambda *a, **k: False,
    "delete": lambda *a, **k: False,
    "set": lambda *a, **k: None,
    "set_many": lambda *a, **k: None,
    "delete_many": lambda *a, **k: None,
    "clear": lambda *a, **k: False,
}


class _ResilientClient(RedisCacheClient):
    pass


def _guarded(name: str):
    original = getattr(RedisCacheClient, name)
    fallback = _FALLBACK[name]

    def call(self: RedisCacheClient, *args: Any, **kwargs: Any) -> Any:
        if cache_breaker.is_open:
            return fallback(*args, **kwargs)
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:  # redis.RedisError and socket errors alike: the cache is optional
            cache_breaker.trip(exc)
            return fallback(*args, **kwargs)

    call.__name__ = name
    return call


for _name in _FALLBACK:
    setattr(_ResilientClient, _name, _guarded(_name))


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as a miss (at once, while the breaker is open) when Redis fails.
    ``incr`` still raises: a counter that silently reads 0 would be wrong, and nothing here uses it."""

    def __init__(self, server: Any, params: dict) -> None:
        super().__init__(server, params)
        self._class = _ResilientClient


def publish(task: Any, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """``task.delay(*args, **kwargs)`` (``apply_async`` with ``countdown`` when given) unless the broker failed within the last few seconds; False (logged)
    when it was not sent. Callers keep what the task would do recoverable (outbox rows, watchdogs)."""
    from core.pagecache import mark_uncacheable

    mark_uncacheable()  # a cached copy of this response would not publish the task again
    eager = bool(getattr(task, "app", None) and task.app.conf.task_always_eager)
    if broker_breaker.is_open and not eager:
        logger.info("Broker breaker open; %s not published.", getattr(task, "name", task))
        return False
    try:
        if countdown:
            task.apply_async(args, kwargs, countdown=countdown)
        else:
            task.delay(*args, **kwargs)
    except Exception as exc:  # kombu/redis errors of every kind: never fail the user's action for a task
        if eager:  # the task itself failed in-process (tests, demo): no broker to blame
            logger.warning("%s failed in eager mode.", getattr(task, "name", task), exc_info=True)
        else:
            broker_breaker.trip(exc)
        return False
    return True
