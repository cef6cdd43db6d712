from __future__ import annotations

from celery import shared_task

from .alerts import escalate_unacknowledged, refresh_alert_levels


@shared_task(name="risks.refresh_alerts")
def refresh_alerts() -> dict[str, int]:
    """Daily (08:00): alert levels as days pass. Idempotent: a second run changes and notifies nothing."""
    result = refresh_alert_levels()
    return {"changed": result.changed, "escalations": result.escalations, "notifications": result.notifications}


@shared_task(name="risks.escalate_unacknowledged")
def escalate() -> int:
    """Hourly: yellow/red alerts unacknowledged for 24 hours go to the campaign lead, once."""
    return escalate_unacknowledged()
