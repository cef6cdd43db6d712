"""The member-import gauge of ``GET /metrics`` (core/metrics.py; wired by settings ``METRICS_GAUGES``)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from members.models import ImportJob, ImportStatus


def import_gauges() -> Iterable[Metric]:
    """``concord_member_imports_running``: one COUNT of the imports a worker is running now."""
    gauge = GaugeMetricFamily("concord_member_imports_running", "Member imports being run by a worker now.")
    gauge.add_metric([], ImportJob.objects.filter(status=ImportStatus.RUNNING).count())
    return [gauge]
