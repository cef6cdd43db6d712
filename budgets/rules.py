"""Who may sign a budget version — segregation of duties (SPEC 4 rule 4, SPEC 10.1), written once.

A person may not sign a version when they submitted it, edited it (created, changed or revised it: the audit
ledger records every such write with its actor), lead the campaign, or hold any role in the campaign's team;
and one person gives at most one sign-off per version, whatever roles they hold.

The rule exists twice on purpose, in two forms of one definition: :func:`signer_conflict` for one budget (the
sign-off service, inside its row lock, and the sign forms) and :func:`eligible_signer_q` for querysets (the
sign-off queue, reminders, the "who may still sign" lists). A test holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from core.models import AuditEntry
from core.permissions import Principal, principal_for

from .models import Budget, BudgetStatus, Signoff

# Ledger actions that change a version or its lines.
EDIT_ACTIONS = ("budget.created", "budget.updated", "budget.revised")
BUDGET_TYPE = Budget._meta.label_lower


def _edits(user_id: int, budget_ref: Any):
    return AuditEntry.objects.filter(
        actor_id=user_id, object_type=BUDGET_TYPE, object_id=budget_ref, action__in=EDIT_ACTIONS
    )


def signer_conflict(budget: Budget, user: Any) -> str | None:
    """Why ``user`` may not sign ``budget`` (a sentence for a 403), or None when segregation of duties allows it.
    Needs ``budget.campaign`` (one query when not loaded) and asks the ledger once."""
    if budget.submitted_by_id == user.pk:
        return _("You submitted this budget, so you cannot sign it.")
    if budget.campaign.lead_id == user.pk:
        return _("You lead this campaign, so you cannot sign its budget.")
    if budget.campaign.team_id in principal_for(user).team_roles:
        return _("You hold a role in this campaign's team, so you cannot sign its budget.")
    if _edits(user.pk, str(budget.pk)).exists():
        return _("You edited this budget version, so you cannot sign it.")
    if Signoff.objects.filter(budget=budget, signer_id=user.pk).exists():
        return _("You have already signed this version in another role; one person signs one role.")
    return None


def eligible_signer_q(user: Any) -> Q:
    """The same rule as a filter on Budget: the versions ``user`` is not barred from signing."""
    team_ids = list(principal_for(user).team_roles)
    barred = (
        Q(submitted_by_id=user.pk)
        | Q(campaign__lead_id=user.pk)
        | Q(campaign__team_id__in=team_ids)
        | Exists(_edits(user.pk, Cast(OuterRef("pk"), output_field=CharField())))
        | Exists(Signoff.objects.filter(budget=OuterRef("pk"), signer_id=user.pk))
    )
    return ~barred


def approver_budgets(principal: Principal):
    """The budget versions an approver may read (SPEC 2): those awaiting sign-off and those they signed. The budget
    policy reads them directly; the campaigns (and their plans and meetings) they belong to become readable through
    the approver scope this app registers on campaigns.permissions (BudgetsConfig.ready)."""
    return Budget.objects.filter(Q(status=BudgetStatus.IN_REVIEW) | Q(signoffs__signer_id=principal.user_id))
