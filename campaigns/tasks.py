"""Celery tasks of the campaigns app."""

from __future__ import annotations

from celery import shared_task

from .health import health_refresh, stale_ids
from .models import Campaign


@shared_task(name="campaigns.refresh_health")
def refresh_health() -> int:
    """Every quarter hour: work out the stored health of campaigns whose day has turned (in their own time zone)
    or whose plan changed, so that pages rarely have to. Idempotent; returns how many campaigns it refreshed."""
    stale = stale_ids(Campaign.objects.all())
    health_refresh(stale)
    return len(stale)
