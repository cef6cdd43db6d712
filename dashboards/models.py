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


class SavedTaskFilter(models.Model):
    """A named set of "My tasks" filters a user keeps (issue 16): the query string it stands for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_task_filters"
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved task filter")
        verbose_name_plural = _("saved task filters")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="one_saved_filter_name_per_user")]

    def __str__(self) -> str:
        return self.name
