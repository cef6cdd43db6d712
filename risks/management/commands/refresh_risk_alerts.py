from __future__ import annotations

from django.core.management.base import BaseCommand

from risks.alerts import escalate_unacknowledged, refresh_alert_levels


class Command(BaseCommand):
    help = "Recompute every risk's alert level now (as the daily job does) and escalate unacknowledged alerts."

    def handle(self, *args, **options) -> None:
        result = refresh_alert_levels()
        escalated = escalate_unacknowledged()
        self.stdout.write(
            f"Alert levels changed: {result.changed}; escalations: {result.escalations}; "
            f"notifications: {result.notifications}; escalated to leads: {escalated}."
        )
