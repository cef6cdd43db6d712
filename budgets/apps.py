from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "budgets"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        from campaigns.permissions import register_approver_campaigns

        from .rules import approver_budgets

        # Approvers read the campaigns of the budgets they read (budgets sits above campaigns, so it plugs in).
        register_approver_campaigns(lambda principal: approver_budgets(principal).values("campaign_id"))
