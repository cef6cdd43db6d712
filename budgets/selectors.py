"""Reads on budgets: the sign-off queue, the overview panel, burn and totals, sign-off state, diffs between
versions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.permissions import principal_for

from .checklists import CHECKLISTS
from .models import RESERVE_CATEGORIES, Budget, BudgetLine, BudgetStatus, LineKind, Signoff, SignoffRole
from .permissions import budget_policy
from .rules import eligible_signer_q, signer_conflict
from .services import ALERT_AT, WARN_AT

MONEY = DecimalField(max_digits=14, decimal_places=2)
HUNDRED = Decimal(100)


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
    """The 409 for a sign-off that arrives after the budget left review, saying what became of it."""
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


def campaign_budget_overview(*, user: Any, campaign: Any, whole_team: bool = False) -> BudgetOverview:
    """The versions of the campaign's budget the user may see (one query), the newest version's sign-offs (one)
    and the approved version's lines with their spend (one). ``whole_team``: every version, for a caller that
    checked the reader sees all of the team's budgets (``budget_policy.sees_whole_team``); ``user`` is then unused."""
    versions = Budget.objects.filter(campaign=campaign)
    versions = list((versions if whole_team else budget_policy.visible(user, versions)).order_by("-version"))
    current = versions[0] if versions else None
    approved = next((b for b in versions if b.status == BudgetStatus.APPROVED), None)
    signoffs = list(current.signoffs.select_related("signer").order_by("signed_at", "id")) if current else []
    lines = lines_with_spent(approved) if approved else []
    return BudgetOverview(current=current, approved=approved, signoffs=signoffs, lines=lines)


# --- Burn, totals and sign-off state of one budget (the budget pages, the overview, the summary, the queue) ---


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
    """Spent as a percentage of the amount, one decimal (0 for an empty amount)."""
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
    """Prefetch of a budget's lines with their channels, in their order."""
    return Prefetch("lines", queryset=BudgetLine.objects.select_related("channel").order_by("position", "id"))


def signoff_prefetch() -> Prefetch:
    """Prefetch of a budget's sign-offs with their signers, oldest first."""
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
    """The budget's sums (lines, rigid, flexible, reserve, required reserve, remaining, spent) from its loaded lines."""
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


def budget_diff(old: Budget, new: Budget) -> list[dict[str, Any]]:
    """Which lines changed between two versions and by how much, matched by (category, kind, channel)."""

    def totals(budget: Budget) -> dict[tuple, Decimal]:
        result: dict[tuple, Decimal] = {}
        for line in budget.lines.all():
            key = (line.category, line.kind, line.channel_id)
            result[key] = result.get(key, Decimal(0)) + line.amount
        return result

    before, after = totals(old), totals(new)
    rows = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1], k[2] or 0)):
        a, b = before.get(key), after.get(key)
        change = "added" if a is None else "removed" if b is None else "changed" if a != b else "unchanged"
        rows.append(
            {"category": key[0], "kind": key[1], "channel": key[2], "old": a, "new": b,
             "delta": (b or Decimal(0)) - (a or Decimal(0)), "change": change}
        )  # fmt: skip
    return rows


# --- The queue's risk column: an extension point ---------------------------------------------------------------
# The sign-off queue shows each campaign's open risks and their cost. The risk register sits beside budgets and
# depends on it (a risk names a budget line), so it registers its selector here from RisksConfig.ready; budgets
# never imports risks.
_campaign_risks: list[Callable[[list[int]], dict[int, list[Any]]]] = []


def register_campaign_risks(provider: Callable[[list[int]], dict[int, list[Any]]]) -> None:
    """Install the provider of {campaign id: open risks, largest cost impact first} (one query)."""
    _campaign_risks[:] = [provider]


def campaign_risks_known() -> bool:
    """Whether a risk register is installed to fill the queue's risk column."""
    return bool(_campaign_risks)


def campaign_risks(campaign_ids: list[int]) -> dict[int, list[Any]] | None:
    """Open risks per campaign from the registered risk register, or ``None`` without one."""
    return _campaign_risks[0](campaign_ids) if _campaign_risks else None


# --- Campaign health (campaigns.health): budget burn ahead of time -----------------------------------------------

# Spending this many percentage points ahead of the share of the campaign's time gone makes it yellow.
BURN_AHEAD_MARGIN = Decimal(10)


def burn_health_signal(facts: dict[int, Any]) -> dict[int, list[dict[str, Any]]]:
    """campaigns.health signal (one query): for each campaign with an approved budget, red when more than the
    approved total is spent, yellow when the share spent is more than 10 points ahead of the share of the
    campaign's days gone (the overview's burn against time elapsed)."""
    rows = (
        Budget.objects.filter(campaign_id__in=list(facts), status=BudgetStatus.APPROVED)
        .annotate(spent=Coalesce(Sum("lines__expenses__amount"), Value(Decimal(0)), output_field=MONEY))
        .values_list("campaign_id", "total", "spent")
    )
    reasons: dict[int, list[dict[str, Any]]] = {}
    for cid, total, spent in rows:
        if not total:
            continue
        f = facts[cid]
        span = (f.end_date - f.start_date).days + 1
        elapsed = min(max((f.today - f.start_date).days + 1, 0), span)
        burn = (Decimal(spent) * HUNDRED / total).quantize(Decimal(1))
        time_gone = (Decimal(elapsed) * HUNDRED / span).quantize(Decimal(1)) if span > 0 else HUNDRED
        if spent > total:
            reasons[cid] = [{"code": "overspent", "level": "red", "burn": int(burn)}]
        elif burn - time_gone > BURN_AHEAD_MARGIN:
            reasons[cid] = [{"code": "burn_ahead", "level": "yellow", "burn": int(burn), "time": int(time_gone)}]
    return reasons


def _overspent_text(reason: dict[str, Any]) -> str:
    return _("Budget overspent: %(burn)s %% of the approved total") % {"burn": reason["burn"]}


def _burn_ahead_text(reason: dict[str, Any]) -> str:
    return _("Budget %(burn)s %% spent with %(time)s %% of the time gone") % {
        "burn": reason["burn"],
        "time": reason["time"],
    }


BURN_TEXTS = {"overspent": _overspent_text, "burn_ahead": _burn_ahead_text}
