"""``GET /metrics``: what an operations team watches, in the Prometheus text format (SPEC 10.5).

Request metrics come from :class:`RequestMetricsMiddleware`, labelled by the resolved URL name
(``request.resolver_match.view_name``: ``campaigns:detail``, ``api-task-list``), the method and the status class
(``2xx``…``5xx``) — never by the raw path, which would make a new series for every id. A request no URL pattern
matched is ``unmatched`` (a static file served by WhiteNoise is ``static``).

- ``concord_http_requests_total{view, method, status}`` — counter
- ``concord_http_request_duration_seconds{view, method}`` — histogram (5 ms … 10 s)
- ``concord_page_cache_total{result}`` — counter: ``hit``, ``miss``, ``pass`` (core/pagecache.py)
- ``concord_celery_queue_length{queue}`` — tasks waiting in the default and the imports queue
- ``concord_celery_broker_up`` — 1 if the broker answered this scrape; 0 (and no queue lengths) if not
- ``concord_member_imports_running`` — member imports in the ``running`` state
- ``concord_notifications_pending_email`` — notifications whose email is not sent yet

The gauges are read at scrape time (settings ``METRICS_GAUGES``: one query each, whatever the number of rows;
the broker is asked with its timeouts, in a thread abandoned after a few seconds, so a stalled Redis costs a
scrape at most that). With ``PROMETHEUS_MULTIPROC_DIR`` set, counters and histograms are written to files in
that folder by every process and added up at scrape time (prometheus_client's multiprocess mode: several
gunicorn workers); without it they live in the process, which is right for ``runserver``.

Only ``METRICS_ALLOWED_IPS`` (default loopback) may read it; anyone else gets the site's ordinary 404.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from core.security import client_ip

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Our own registry (not prometheus_client's global one), so nothing else a library registers leaks in.
REGISTRY = CollectorRegistry(auto_describe=True)
if not MULTIPROCESS:  # per-process figures mean nothing summed over workers: only in single-process mode
    from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR

    for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        REGISTRY.register(_collector)

REQUESTS = Counter(
    "concord_http_requests",
    "HTTP requests answered, by URL name, method and status class.",
    ["view", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "concord_http_request_duration_seconds",
    "Time to answer an HTTP request (whole middleware stack), by URL name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
PAGE_CACHE = Counter(
    "concord_page_cache",
    "Logged-in GETs the page cache was asked about (core/pagecache.py): hit (answered from it), miss (rendered and "
    "kept), pass (rendered, not kept: it wrote, set a cookie, showed a message, was not a 200 …); shared_hit, "
    "shared_miss, shared_pass: the same for parts of a page shared by readers who see them alike.",
    ["result"],
    registry=REGISTRY,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    """The bounded label of a request: its URL name, ``static`` or ``unmatched``."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    static = "/" + settings.STATIC_URL.lstrip("/")
    if request.path.startswith(static):
        return "static"
    return "unmatched"


class RequestMetricsMiddleware:
    """Count every request and time it, labelled by URL name, method and status class."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        try:
            view = view_label(request)
            method = request.method if request.method in _METHODS else "other"
            REQUESTS.labels(view=view, method=method, status=f"{response.status_code // 100}xx").inc()
            LATENCY.labels(view=view, method=method).observe(elapsed)
        except Exception:  # the figures must never cost the user their answer
            logger.warning("Could not record request metrics.", exc_info=True)
        return response


# --- Gauges read at scrape time ----------------------------------------------------------------------------------

BROKER_PROBE_SECONDS = 3.0
_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics")


def _queue_lengths() -> dict[str, int]:
    """Messages waiting in the default and the imports queue, asked of the broker (kombu's own count: Redis
    ``LLEN`` of each priority list, with the transport's key prefix; files for the filesystem transport)."""
    from config.celery import app, import_queue

    queues = [app.conf.task_default_queue, import_queue()]
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.REDIS_TIMEOUT_SECONDS)
        channel = conn.default_channel
        # ``_size`` is kombu's virtual-transport count; the public ``queue_declare(passive=True)`` refuses a queue
        # Redis holds no list for (an empty one), and declaring it for real would write to the broker.
        return {queue: int(channel._size(queue)) for queue in queues}


def broker_gauges() -> Iterable[Metric]:
    """``concord_celery_queue_length`` per queue and ``concord_celery_broker_up``; never raises."""
    from core.resilience import broker_breaker

    up = GaugeMetricFamily("concord_celery_broker_up", "1 if the Celery broker answered this scrape, else 0.")
    lengths = GaugeMetricFamily(
        "concord_celery_queue_length",
        "Tasks waiting in a Celery queue (absent when the broker is down).",
        labels=["queue"],
    )
    sizes: dict[str, int] | None = None
    if not broker_breaker.is_open:  # it failed seconds ago: do not wait for it again
        future = _probes.submit(_queue_lengths)
        try:
            sizes = future.result(timeout=BROKER_PROBE_SECONDS)
        except FutureTimeout:
            logger.warning("Metrics: the broker did not answer within %s s.", BROKER_PROBE_SECONDS)
        except Exception as exc:
            logger.warning("Metrics: the broker is unreachable (%s).", exc.__class__.__name__)
    up.add_metric([], 1 if sizes is not None else 0)
    for queue, size in (sizes or {}).items():
        lengths.add_metric([queue], size)
    return [up, lengths]


def notification_gauges() -> Iterable[Metric]:
    """``concord_notifications_pending_email``: one COUNT over the notifications not emailed yet."""
    from core.models import Notification

    pending = Notification.objects.filter(email_sent_at__isnull=True).count()
    gauge = GaugeMetricFamily("concord_notifications_pending_email", "Notifications whose email is not sent yet.")
    gauge.add_metric([], pending)
    return [gauge]


@lru_cache(maxsize=1)
def _gauge_sources() -> tuple[Callable[[], Iterable[Metric]], ...]:
    return tuple(import_string(path) for path in getattr(settings, "METRICS_GAUGES", ()))


class LiveGauges:
    """A prometheus_client collector running each ``METRICS_GAUGES`` source; one that fails is left out
    (logged), the others still answer."""

    def collect(self) -> Iterable[Metric]:
        for source in _gauge_sources():
            try:
                yield from list(source())
            except Exception:
                logger.warning("Metrics: gauge source %s failed.", getattr(source, "__name__", source), exc_info=True)


# --- The view -----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _allowed_networks(configured: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def address_allowed(address: str) -> bool:
    """Whether ``address`` is in ``METRICS_ALLOWED_IPS`` (addresses or CIDR networks; IPv4-mapped IPv6 counts as
    its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    networks = _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS))
    return any(ip.version == network.version and ip in network for network in networks)


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: request metrics (this process's, or every process's files in multiprocess
    mode) and the live gauges."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(LiveGauges())
    return registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus scrape: no login, no session; 404 unless the client's address is allowed."""
    if not address_allowed(client_ip(request)):
        raise Http404
    # The text format, or OpenMetrics when the scraper asks for it (Prometheus does).
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)
