from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "teams"
    verbose_name = _("Staff and teams")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (API tokens revoked on password change and deactivation)
