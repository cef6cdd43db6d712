from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.permissions import principal_for

from .models import Budget, BudgetLine, BudgetStatus, Signoff
from .permissions import budget_policy
from .rules import eligible_signer_q


def budget_left_review(*, user: Any, pk: Any) -> Budget | None:
    """SPEC 10.1 "Late sign-offs": for an approver, a budget that was submitted but is no longer in review, so
    that a sign-off racing its decision hears 409 and why, even when the approver can no longer read it."""
    if not principal_for(user).approver_roles:
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Budget.objects.filter(pk=pk, submitted_at__isnull=False).exclude(status=BudgetStatus.IN_REVIEW).first()


def late_signoff_conflict(budget: Budget) -> Conflict:
    return Conflict(
        _("This budget is %(status)s, not in review; there is nothing to sign.")
        % {"status": budget.get_status_display()}
    )


def signoff_queue(*, user: Any) -> QuerySet[Budget]:
    """Budgets in review the user may still sign: a role they hold is unsigned and segregation of duties
    (budgets/rules.py) does not bar them. Oldest submission first."""
    roles = [r.removesuffix("_approver") for r in principal_for(user).approver_roles]
    if not roles:
        return Budget.objects.none()
    unsigned_role = Q()
    for role in roles:
        unsigned_role |= ~Exists(Signoff.objects.filter(budget=OuterRef("pk"), role=role))
    return (
        Budget.objects.filter(status=BudgetStatus.IN_REVIEW)
        .filter(eligible_signer_q(user))
        .filter(unsigned_role)
        .select_related("campaign", "campaign__team", "submitted_by")
        .order_by("submitted_at", "pk")
    )


@dataclass
class BudgetOverview:
    """A campaign's budget at a glance: the newest version's sign-off state and the approved version's burn."""

    current: Budget | None
    approved: Budget | None
    signoffs: list[Signoff] = field(default_factory=list)
    lines: list[BudgetLine] = field(default_factory=list)

    @property
    def line_sum(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def spent(self) -> Decimal:
        return sum((line.spent for line in self.lines), Decimal(0))

    @property
    def burn(self) -> Decimal | None:
        """Spent as a share of the approved lines (%), or None without an approved budget."""
        line_sum = self.line_sum
        if self.approved is None or not line_sum:
            return None
        return (self.spent * 100 / line_sum).quantize(Decimal("0.1"))


def campaign_budget_overview(*, user: Any, campaign: Any) -> BudgetOverview:
    """The versions of the campaign's budget the user may see (one query), the newest version's sign-offs (one)
    and the approved version's lines with their spend (one)."""
    from .views.common import lines_with_spent  # the views package imports this module

    versions = list(budget_policy.visible(user, Budget.objects.filter(campaign=campaign)).order_by("-version"))
    current = versions[0] if versions else None
    approved = next((b for b in versions if b.status == BudgetStatus.APPROVED), None)
    signoffs = list(current.signoffs.select_related("signer").order_by("signed_at", "id")) if current else []
    lines = lines_with_spent(approved) if approved else []
    return BudgetOverview(current=current, approved=approved, signoffs=signoffs, lines=lines)
