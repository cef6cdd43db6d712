"""What several budget pages share: loading lines with their spend, the sign-off panels, and turning a service's
refusal into a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import DecimalField, Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from campaigns.models import Campaign, Channel
from core.errors import ApplicationError
from core.permissions import principal_for

from ..checklists import CHECKLISTS
from ..models import RESERVE_CATEGORIES, Budget, BudgetLine, LineKind, Signoff, SignoffRole
from ..rules import signer_conflict
from ..services import ALERT_AT, WARN_AT

MONEY = DecimalField(max_digits=14, decimal_places=2)
HUNDRED = Decimal(100)


def refuse(request: HttpRequest, exc: ApplicationError, fallback: str) -> HttpResponse:
    """A Conflict or NotAllowed (or a rule broken on submit): say so and go back; htmx gets the status and text."""
    texts = [m for msgs in exc.errors.values() for m in msgs] or [str(exc.message)]
    if request.htmx:
        return HttpResponse(" ".join(texts), status=exc.status_code, content_type="text/plain; charset=utf-8")
    for text in texts:
        messages.error(request, text)
    return HttpResponseRedirect(fallback)


def channel_choices(campaign: Campaign) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Channel.objects.filter(campaign=campaign).values_list("pk", "name")]


def burn_level(burn: Decimal | None) -> str:
    """ok below 90 %, warn from 90 %, over from 100 % (services.WARN_AT / ALERT_AT)."""
    if burn is None:
        return "ok"
    if burn >= ALERT_AT * HUNDRED:
        return "over"
    if burn >= WARN_AT * HUNDRED:
        return "warn"
    return "ok"


def burn_pct(spent: Decimal, amount: Decimal) -> Decimal:
    return (spent * HUNDRED / amount).quantize(Decimal("0.1")) if amount else Decimal(0)


def lines_with_spent(budget: Budget) -> list[BudgetLine]:
    """The budget's lines with ``spent`` (sum of expenses), ``burn`` (%) and ``burn_level``, in one query."""
    lines = list(
        BudgetLine.objects.filter(budget=budget)
        .select_related("channel")
        .annotate(spent=Coalesce(Sum("expenses__amount"), Value(Decimal(0)), output_field=MONEY))
        .order_by("position", "id")
    )
    for line in lines:
        line.spent = Decimal(line.spent).quantize(Decimal("0.01"))  # SQLite's SUM loses the scale
        line.burn = burn_pct(line.spent, line.amount)
        line.burn_level = burn_level(line.burn)
        line.burn_bar = min(line.burn, HUNDRED)
    return lines


def line_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=BudgetLine.objects.select_related("channel").order_by("position", "id"))


def signoff_prefetch() -> Prefetch:
    return Prefetch("signoffs", queryset=Signoff.objects.select_related("signer").order_by("signed_at", "id"))


@dataclass
class Totals:
    line_sum: Decimal
    rigid: Decimal
    flexible: Decimal
    reserve: Decimal
    required_reserve: Decimal
    remaining: Decimal
    spent: Decimal = Decimal(0)

    @property
    def over_cap(self) -> bool:
        return self.remaining < 0

    @property
    def over_by(self) -> Decimal:
        return -self.remaining

    @property
    def reserve_short(self) -> Decimal:
        return max(self.required_reserve - self.reserve, Decimal(0))

    @property
    def burn(self) -> Decimal:
        return burn_pct(self.spent, self.line_sum)

    @property
    def burn_level(self) -> str:
        return burn_level(self.burn)

    @property
    def burn_bar(self) -> Decimal:
        return min(self.burn, HUNDRED)


def totals_for(budget: Budget, lines: list[BudgetLine]) -> Totals:
    line_sum = sum((line.amount for line in lines), Decimal(0))
    return Totals(
        line_sum=line_sum,
        rigid=sum((line.amount for line in lines if line.kind == LineKind.RIGID), Decimal(0)),
        flexible=sum((line.amount for line in lines if line.kind == LineKind.FLEXIBLE), Decimal(0)),
        reserve=sum((line.amount for line in lines if line.category in RESERVE_CATEGORIES), Decimal(0)),
        required_reserve=budget.required_reserve,
        remaining=budget.total - line_sum,
        spent=sum((getattr(line, "spent", Decimal(0)) for line in lines), Decimal(0)),
    )


# --- Sign-off panels ------------------------------------------------------------------------------


@dataclass
class SignPanel:
    """One role the user may sign a budget as, with its checklist (and what they sent, after a refusal)."""

    budget: Budget
    role: str
    label: str
    items: list[dict[str, Any]]
    comment: str = ""
    decision: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def general_errors(self) -> list[str]:
        """Errors that belong to no box on the form (the role, the decision, or the whole request)."""
        return [m for name, msgs in self.errors.items() if name not in ("comment", "checklist") for m in msgs]

    @property
    def form_id(self) -> str:
        return f"sign-{self.budget.pk}-{self.role}"


def signable_roles(user: Any, budget: Budget, signoffs: list[Signoff], *, eligible: bool | None = None) -> list[str]:
    """Roles the user could still sign this budget as — only to decide which forms to show; the service decides.
    ``eligible`` is segregation of duties already decided for this budget (the queue lists only budgets the user
    may sign); else budgets/rules.py is asked."""
    if budget.status != "in_review":
        return []
    held = {r.removesuffix("_approver") for r in principal_for(user).approver_roles}
    if not held:
        return []
    if eligible is None:
        eligible = signer_conflict(budget, user) is None
    if not eligible:
        return []
    signed = {s.role for s in signoffs}
    return [role for role in SignoffRole.values if role in held and role not in signed]


def sign_panels(
    user: Any,
    budget: Budget,
    signoffs: list[Signoff],
    failed: dict[str, Any] | None = None,
    *,
    eligible: bool | None = None,
) -> list[SignPanel]:
    """``failed`` is the refused attempt to show again: budget, role, ticked items, comment, decision, errors."""
    panels = []
    for role in signable_roles(user, budget, signoffs, eligible=eligible):
        again = failed if failed and failed["budget"] == budget.pk and failed["role"] == role else None
        ticked = set(again["ticked"]) if again else set()
        panels.append(
            SignPanel(
                budget=budget,
                role=role,
                label=str(SignoffRole(role).label),
                items=[
                    {
                        "code": code,
                        "label": label,
                        "checked": code in ticked,
                        "flagged": bool(again and "checklist" in again["errors"] and code not in ticked),
                    }
                    for code, label in CHECKLISTS[SignoffRole(role)]
                ],
                comment=again["comment"] if again else "",
                decision=again["decision"] if again else "",
                errors=again["errors"] if again else {},
            )
        )
    return panels


def signoff_rows(budget: Budget, signoffs: list[Signoff]) -> list[dict[str, Any]]:
    """Each role's state on this version: its sign-off, or awaiting (in review), or not signed."""
    by_role = {s.role: s for s in signoffs}
    labels = {role: dict(CHECKLISTS[SignoffRole(role)]) for role in SignoffRole.values}
    rows = []
    for role in SignoffRole.values:
        signoff = by_role.get(role)
        checklist = []
        if signoff is not None:
            names = labels[role]
            checklist = [{"label": names.get(code, code), "ok": ok} for code, ok in signoff.checklist.items()]
        rows.append(
            {
                "role": role,
                "label": SignoffRole(role).label,
                "signoff": signoff,
                "checklist": checklist,
                "awaiting": signoff is None and budget.status == "in_review",
            }
        )
    return rows
