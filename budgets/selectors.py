from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.permissions import principal_for

from .models import Budget, BudgetStatus, Signoff


def signoff_queue(*, user: Any) -> QuerySet[Budget]:
    """Budgets in review the user may still sign: a role they hold is unsigned, they did not submit it,
    and they have not signed it in another role. Oldest submission first."""
    roles = [r.removesuffix("_approver") for r in principal_for(user).approver_roles]
    if not roles:
        return Budget.objects.none()
    unsigned_role = Q()
    for role in roles:
        unsigned_role |= ~Exists(Signoff.objects.filter(budget=OuterRef("pk"), role=role))
    return (
        Budget.objects.filter(status=BudgetStatus.IN_REVIEW)
        .exclude(submitted_by=user)
        .exclude(Exists(Signoff.objects.filter(budget=OuterRef("pk"), signer=user)))
        .filter(unsigned_role)
        .select_related("campaign", "campaign__team", "submitted_by")
        .order_by("submitted_at", "pk")
    )
