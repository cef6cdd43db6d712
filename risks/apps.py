from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risks"
    verbose_name = _("Risks")

    def ready(self) -> None:
        from budgets.selectors import register_campaign_risks
        from campaigns.health import register_health_signal

        from .selectors import RED_ALERT_TEXTS, open_risks_by_campaign, red_alert_health_signal

        # The sign-off queue (budgets) shows each campaign's open risks; risks plugs its selector in.
        register_campaign_risks(open_risks_by_campaign)
        # Campaign health: live risks on a red early warning make their campaign red.
        register_health_signal(red_alert_health_signal, RED_ALERT_TEXTS)
