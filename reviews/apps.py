from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from core.calendar import calendar_changed

        calendar_changed.connect(_calendar_changed, dispatch_uid="reviews.calendar_changed")


def _calendar_changed(sender, dates, **kwargs) -> None:
    """Move the meetings in a worker; if the broker is down, the daily generation moves them later (but then
    without telling the chairs)."""
    from core.resilience import publish

    from .tasks import calendar_changed

    publish(calendar_changed, [day.isoformat() for day in dates])
