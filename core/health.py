"""``GET /healthz``: is the database answering, is the broker reachable (SPEC 2)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason is reported, not raised
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict[str, object]:
    from config.celery import app

    started = time.monotonic()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=settings.REDIS_TIMEOUT_SECONDS)
            transport = conn.transport_cls
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "transport": str(transport), "ms": round((time.monotonic() - started) * 1000, 1)}


# Both probes together answer within 5 s (SPEC 10.1), whatever the client libraries do with a server that
# accepts connections and then never answers: the broker probe runs in a worker thread that is abandoned on time.
BROKER_PROBE_SECONDS = 3.0
_probes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _check_broker_bounded() -> dict[str, object]:
    future = _probes.submit(_check_broker)
    try:
        return future.result(timeout=BROKER_PROBE_SECONDS)
    except FutureTimeout:
        return {"status": "down", "error": "timeout"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker_bounded()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)
