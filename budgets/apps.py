from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "budgets"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        from campaigns.health import register_health_signal
        from campaigns.permissions import register_approver_campaigns

        from .rules import approver_budgets
        from .selectors import BURN_TEXTS, burn_health_signal

        # Approvers read the campaigns of the budgets they read (budgets sits above campaigns, so it plugs in).
        register_approver_campaigns(lambda principal: approver_budgets(principal).values("campaign_id"))
        # Campaign health counts budget burn ahead of time and overspending.
        register_health_signal(burn_health_signal, BURN_TEXTS)
