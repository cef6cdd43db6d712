from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Pages that read across domains: "my work" home, the campaign overview, the printable summary, the portfolio
    and the sign-off queue. The top layer: it may import every app; no app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = _("Dashboards")
