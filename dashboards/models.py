"""The dashboards layer's one table: the personal calendar feed's version (SPEC 10.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarFeed(models.Model):
    """A user's calendar feed. Its secret URL is a signature of (user, version): resetting bumps the version, so
    every earlier URL stops working (404) while nothing secret is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    reset_at = models.DateTimeField(_("last reset"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version}"
