from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risks"
    verbose_name = _("Risks")

    def ready(self) -> None:
        from budgets.selectors import register_campaign_risks

        from .selectors import open_risks_by_campaign

        # The sign-off queue (budgets) shows each campaign's open risks; risks plugs its selector in.
        register_campaign_risks(open_risks_by_campaign)
