"""Channel returns (SPEC 10.6, issue 21): what each channel of a campaign cost against the members it brought in,
the spend shares against the seed's "4321" guide (dashboards/spend_guide.py), and a proposed re-balance.

Definitions (the API, the page and the tests share them):

* **spent** — actual spend: the expenses recorded on budget lines that name the channel, on every budget version
  of the campaign the reader may see (expenses are recorded against the approved version; they stay with their
  line when a later version supersedes it). Planned amounts never count as spend.
* **budgeted** — the channel's lines in the plan: the newest budget version the reader may see, whatever its
  state (so a plan in review is compared with the guide before it is approved); ``plan`` says which version.
* **members_new** — members whose source campaign is this campaign and whose source channel is the channel.
* **members_paid** — those of them paying an annual fee (``annual_fee > 0``). This is "a paying member", not the
  analytics page's "paid tiers" (mid-high and top): any fee pays back some of what the channel cost.
* **cost_per_member** / **cost_per_paid_member** — spent ÷ members, to the cent; ``None`` when there are none.
* Spend on lines without a channel, and members without a channel of this campaign, are ``unattributed``.
* **month** — optional (:func:`parse_month`, ``YYYY-MM``): with one, spend counts only the expenses dated in that
  calendar month and members only those who joined in it (members without a join date are left out); budgeted
  figures, the plan and what the approved budget could give stay as they are. Without one, the whole campaign.

The re-balance rule (:func:`rebalance_proposal`), on the returns of the chosen month or of the whole campaign:
among the channels with both spend and paying members, the best is the lowest cost per paying member and the worst
the highest whose lines in the approved budget (reserve lines left out) can give something. 10 % of the worst
channel's lines, rounded down to the cent, moves to the best channel's largest line (or a new channel-promotion line
for it). Nothing moves when fewer than two channels have both spend and paying members, when there is no approved
budget, or when the worst already costs what the best does. :func:`rebalance_propose` writes it as a new draft
revision through the budgets app's own services, so the lead edits and submits it as usual and the three-way
sign-off applies; the approved version is not touched.

A fixed number of queries, with a month or without, however many channels, lines, expenses and members.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from budgets.models import RESERVE_CATEGORIES, Budget, BudgetLine, BudgetStatus, Expense, LineCategory, LineKind
from budgets.permissions import budget_policy
from budgets.services import budget_revise, budget_update
from campaigns.models import Campaign, Channel
from campaigns.permissions import campaign_policy
from core.errors import ApplicationError, Conflict, NotAllowed
from core.formatting import cny_text
from core.permissions import Access
from core.services.audit import audit_record
from core.validators import TEXT_MAX_LENGTH
from members.models import Member

from . import spend_guide

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
# The share of the worst channel's budget that a proposed re-balance moves to the best one.
MOVE_SHARE = Decimal("0.10")
OPEN_STATUSES = (BudgetStatus.DRAFT, BudgetStatus.IN_REVIEW)
MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
MONTH_YEARS = (2000, 2100)


@dataclass(frozen=True)
class Month:
    """A calendar month as a window: dates ``first <= date < next_first``; ``label`` is ``YYYY-MM``, as the API,
    the query string and the notes spell it."""

    first: dt.date
    next_first: dt.date
    label: str

    @classmethod
    def of(cls, year: int, month: int) -> Month:
        following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return cls(first=dt.date(year, month, 1), next_first=following, label=f"{year:04d}-{month:02d}")

    @property
    def previous(self) -> Month:
        return (
            Month.of(self.first.year - 1, 12)
            if self.first.month == 1
            else Month.of(self.first.year, self.first.month - 1)
        )


def parse_month(value: str | None) -> Month | None:
    """``YYYY-MM`` (years 2000 to 2100) → that :class:`Month`; empty or None → None (the whole campaign).

    Anything else is an ApplicationError on the ``month`` field."""
    if value is None or not value.strip():
        return None
    match = MONTH_PATTERN.fullmatch(value.strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if MONTH_YEARS[0] <= year <= MONTH_YEARS[1] and 1 <= month <= 12:
            return Month.of(year, month)
    raise ApplicationError(errors={"month": _("Give a month as YYYY-MM, e.g. 2026-11.")})


def _per(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(CENT) if count else None


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * HUNDRED / whole).quantize(TENTH) if whole else None


def _pct(value: Decimal) -> str:
    return number_format(value, decimal_pos=1, use_l10n=True)


def _whole(value: Decimal) -> str:
    return number_format(value, decimal_pos=0, use_l10n=True)


@dataclass
class ChannelRow:
    """One channel's figures."""

    channel: Channel
    group: str
    spent: Decimal = Decimal(0)
    budgeted: Decimal = Decimal(0)
    members_new: int = 0
    members_paid: int = 0

    @property
    def cost_per_member(self) -> Decimal | None:
        return _per(self.spent, self.members_new)

    @property
    def cost_per_paid_member(self) -> Decimal | None:
        return _per(self.spent, self.members_paid)

    @property
    def group_label(self) -> object:
        return spend_guide.group_label(self.group)


@dataclass
class GroupRow:
    """One part of the 4321 guide: planned and spent amounts, their shares, the guide's share, a note."""

    group: str
    guide: Decimal | None
    budgeted: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    planned_share: Decimal | None = None
    share: Decimal | None = None
    note: str = ""

    @property
    def label(self) -> object:
        return spend_guide.group_label(self.group)

    @property
    def guide_mark(self) -> int | None:
        """The guide's share as a whole percent, for the bar's target mark."""
        return int(self.guide) if self.guide is not None else None


@dataclass
class Proposal:
    """What a re-balance would move now, or why nothing would."""

    source: ChannelRow | None = None
    target: ChannelRow | None = None
    amount: Decimal = Decimal(0)
    reason: str = ""

    @property
    def possible(self) -> bool:
        return self.source is not None and self.target is not None and self.amount > 0


@dataclass
class Unattributed:
    """Spend on lines naming no channel, and members with no channel of this campaign."""

    spent: Decimal = Decimal(0)
    budgeted: Decimal = Decimal(0)
    members_new: int = 0
    members_paid: int = 0


@dataclass
class ChannelReturns:
    campaign: Campaign
    plan: Budget | None
    approved: Budget | None
    open_version: Budget | None
    channels: list[ChannelRow]
    groups: list[GroupRow]
    unattributed: Unattributed
    spent_total: Decimal
    budgeted_total: Decimal
    proposal: Proposal = field(default_factory=Proposal)
    month: Month | None = None

    @property
    def has_spend(self) -> bool:
        return self.spent_total > 0


def _group_note(row: GroupRow, plan: Budget | None, month: Month | None = None) -> str:
    """Plain words where the plan, or the spend so far (or in ``month``), is more than NOTE_POINTS away from the
    guide."""
    notes = []
    if row.guide is None:
        if row.planned_share:
            notes.append(
                _("%(share)s %% of the plan goes to lines the guide has no part for (benefits, labour, other), so "
                  "the four parts share the rest.") % {"share": _pct(row.planned_share)}
            )  # fmt: skip
        elif row.share and month is not None:
            notes.append(
                _("%(share)s %% of the spend in %(month)s went to lines the guide has no part for (benefits, "
                  "labour, other).") % {"share": _pct(row.share), "month": month.label}
            )  # fmt: skip
        elif row.share:
            notes.append(
                _("%(share)s %% of the spend so far went to lines the guide has no part for (benefits, labour, "
                  "other).") % {"share": _pct(row.share)}
            )  # fmt: skip
        return " ".join(notes)
    if row.planned_share is not None and plan is not None:
        gap = row.planned_share - row.guide
        if abs(gap) > spend_guide.NOTE_POINTS:
            text = (
                _("Version %(v)d of the budget puts %(share)s %% here, %(gap)s points above the guide's %(guide)s %%.")
                if gap > 0
                else _(
                    "Version %(v)d of the budget puts %(share)s %% here, %(gap)s points below the guide's %(guide)s %%."
                )
            )
            notes.append(
                text % {"v": plan.version, "share": _pct(row.planned_share), "gap": _pct(abs(gap)),
                        "guide": _whole(row.guide)}
            )  # fmt: skip
    if row.share is not None:
        gap = row.share - row.guide
        # A reserve is kept, not spent: drawing on it less than the guide's share is no departure worth a note.
        if abs(gap) > spend_guide.NOTE_POINTS and not (row.group == spend_guide.RESERVE and gap < 0):
            if month is None:
                text = (
                    _("Spending so far puts %(share)s %% here, %(gap)s points above the guide's %(guide)s %%.")
                    if gap > 0
                    else _("Spending so far puts %(share)s %% here, %(gap)s points below the guide's %(guide)s %%.")
                )
            else:
                text = (
                    _("Spending in %(month)s puts %(share)s %% here, %(gap)s points above the guide's %(guide)s %%.")
                    if gap > 0
                    else _(
                        "Spending in %(month)s puts %(share)s %% here, %(gap)s points below the guide's %(guide)s %%."
                    )
                )
            values = {"share": _pct(row.share), "gap": _pct(abs(gap)), "guide": _whole(row.guide)}
            notes.append(text % ({**values, "month": month.label} if month is not None else values))
    return " ".join(notes)


def channel_returns(*, campaign: Campaign, user: Any, month: Month | None = None) -> ChannelReturns:
    """The campaign's channel returns as ``user`` may see them (``campaign`` comes from the permissions helper),
    over the whole campaign or, given a ``month``, over the expenses dated and the members joined in it.

    Budget figures come only from the budget versions the user may see (budgets.permissions); member figures are
    counts, never people. Five queries (three when the campaign has no budget), with a month or without."""
    channels = {c.pk: c for c in Channel.objects.filter(campaign=campaign).order_by("type", "name", "pk")}
    versions = list(
        budget_policy.visible(user, Budget.objects.filter(campaign=campaign))
        .order_by("-version")
        .only("id", "campaign_id", "version", "status", "total", "reserve_pct", "note")
    )
    plan = versions[0] if versions else None
    approved = next((b for b in versions if b.status == BudgetStatus.APPROVED), None)
    open_version = next((b for b in versions if b.status in OPEN_STATUSES), None)

    rows = {pk: ChannelRow(channel=c, group=spend_guide.group_of_channel(c.type)) for pk, c in channels.items()}
    groups = {code: GroupRow(group=code, guide=share) for code, _label, share in spend_guide.GUIDE}
    unattributed = Unattributed()
    # What the approved version's lines per channel could give up (reserve lines never move).
    movable: dict[int, Decimal] = {}

    def channel_type(channel_id: int | None) -> str | None:
        return channels[channel_id].type if channel_id in channels else None

    if versions:
        expenses = Expense.objects.filter(line__budget_id__in=[b.pk for b in versions])
        if month is not None:
            expenses = expenses.filter(date__gte=month.first, date__lt=month.next_first)
        spend = expenses.values("line__channel_id", "line__category").annotate(total=Sum("amount")).order_by()
        for entry in spend:
            channel_id, total = entry["line__channel_id"], entry["total"]
            groups[spend_guide.group_of_line(entry["line__category"], channel_type(channel_id))].spent += total
            if channel_id in rows:
                rows[channel_id].spent += total
            else:
                unattributed.spent += total
        wanted = {plan.pk} | ({approved.pk} if approved else set())
        lines = (
            BudgetLine.objects.filter(budget_id__in=wanted)
            .values("budget_id", "channel_id", "category")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for entry in lines:
            channel_id, total = entry["channel_id"], entry["total"]
            gives = approved and entry["budget_id"] == approved.pk and entry["category"] not in RESERVE_CATEGORIES
            if gives and channel_id in rows:
                movable[channel_id] = movable.get(channel_id, Decimal(0)) + total
            if entry["budget_id"] != plan.pk:
                continue
            groups[spend_guide.group_of_line(entry["category"], channel_type(channel_id))].budgeted += total
            if channel_id in rows:
                rows[channel_id].budgeted += total
            else:
                unattributed.budgeted += total

    joined = Member.objects.filter(source_campaign=campaign)
    if month is not None:
        joined = joined.filter(joined_at__gte=month.first, joined_at__lt=month.next_first)
    members = (
        joined.values("source_channel_id")
        .annotate(n=Count("pk"), paid=Count("pk", filter=Q(annual_fee__gt=0)))
        .order_by()
    )
    for entry in members:
        target = rows.get(entry["source_channel_id"], unattributed)
        target.members_new += entry["n"]
        target.members_paid += entry["paid"]

    spent_total = sum((g.spent for g in groups.values()), Decimal(0))
    budgeted_total = sum((g.budgeted for g in groups.values()), Decimal(0))
    for row in groups.values():
        row.share = _share(row.spent, spent_total)
        row.planned_share = _share(row.budgeted, budgeted_total)
        row.note = _group_note(row, plan, month)
    channel_rows = list(rows.values())
    return ChannelReturns(
        campaign=campaign,
        plan=plan,
        approved=approved,
        open_version=open_version,
        channels=channel_rows,
        groups=[groups[code] for code in spend_guide.GROUPS],
        unattributed=unattributed,
        spent_total=spent_total,
        budgeted_total=budgeted_total,
        proposal=rebalance_proposal(channel_rows, approved=approved, movable=movable),
        month=month,
    )


def rebalance_proposal(rows: list[ChannelRow], *, approved: Budget | None, movable: dict[int, Decimal]) -> Proposal:
    """What a re-balance would move now (the rule is in the module's docstring), or the reason nothing would."""
    if approved is None:
        return Proposal(reason=_("There is no approved budget to re-balance yet."))
    compared = [r for r in rows if r.spent > 0 and r.members_paid > 0]
    if len(compared) < 2:
        return Proposal(
            reason=_(
                "Nothing to move: fewer than two channels have both spend and paying members, so their returns "
                "cannot be compared yet."
            )
        )
    ranked = sorted(compared, key=lambda r: (r.cost_per_paid_member, r.channel.name, r.channel.pk))
    best = ranked[0]
    sources = [
        r
        for r in reversed(ranked)
        if r is not best and r.cost_per_paid_member > best.cost_per_paid_member and movable.get(r.channel.pk)
    ]
    if not sources:
        return Proposal(
            target=best,
            reason=_(
                "Nothing to move: no channel that costs more per paying member than %(best)s has a line in the "
                "approved budget (reserve lines stay where they are)."
            )
            % {"best": best.channel.name},
        )
    worst = sources[0]
    amount = (movable[worst.channel.pk] * MOVE_SHARE).quantize(CENT, rounding=ROUND_DOWN)
    if amount <= 0:
        return Proposal(target=best, reason=_("Nothing to move: the amounts are too small."))
    return Proposal(source=worst, target=best, amount=amount)


def _moved_lines(draft: Budget, proposal: Proposal) -> list[dict[str, Any]]:
    """The draft's lines with the proposal applied: taken from the source channel's largest lines first (each
    keeps at least a cent), added to the target channel's largest line or to a new line for it."""
    lines = [
        {"category": x.category, "kind": x.kind, "amount": x.amount, "channel": x.channel_id, "note": x.note}
        for x in draft.lines.order_by("position", "pk")
    ]
    assert proposal.source is not None and proposal.target is not None  # noqa: S101 — checked by the caller
    source_id, target_id = proposal.source.channel.pk, proposal.target.channel.pk
    remaining = proposal.amount
    givers = [x for x in lines if x["channel"] == source_id and x["category"] not in RESERVE_CATEGORIES]
    for line in sorted(givers, key=lambda x: -x["amount"]):
        take = min(remaining, line["amount"] - CENT)
        line["amount"] -= take
        remaining -= take
        if not remaining:
            break
    moved = proposal.amount - remaining
    takers = [x for x in lines if x["channel"] == target_id and x["category"] not in RESERVE_CATEGORIES]
    if takers:
        max(takers, key=lambda x: x["amount"])["amount"] += moved
    else:
        lines.append(
            {"category": LineCategory.CHANNEL_PROMOTION, "kind": LineKind.FLEXIBLE, "amount": moved,
             "channel": target_id, "note": _("Re-balance from %(name)s") % {"name": proposal.source.channel.name}}
        )  # fmt: skip
    return lines


@transaction.atomic
def rebalance_propose(*, campaign: Campaign, actor: Any, month: Month | None = None) -> tuple[Budget, Proposal]:
    """Write the current proposal as a new draft revision of the approved budget (lead, deputy or admin), from the
    returns of ``month`` when one is given, else of the whole campaign.

    Refused with a Conflict, creating nothing, while another version is a draft or in review, when there is no
    approved budget, or when nothing would move. The draft comes from the budgets app's ``budget_revise`` and is
    changed with ``budget_update``, which check the cap and the reserve as for any edit; it goes through the full
    three-way sign-off when the lead submits it."""
    if campaign_policy.require(actor, campaign, Access.READ) < Access.MANAGE:
        raise NotAllowed(_("Only the lead or deputy of the campaign's team can propose a budget re-balance."))
    returns = channel_returns(campaign=campaign, user=actor, month=month)
    if returns.open_version is not None:
        text = (
            _("Version %(v)d of the budget is already a draft: edit it and submit it, then propose a re-balance once "
              "it is decided.")
            if returns.open_version.status == BudgetStatus.DRAFT
            else _("Version %(v)d of the budget is in review: wait for its sign-offs, or withdraw it, before "
                   "proposing a re-balance.")
        )  # fmt: skip
        raise Conflict(text % {"v": returns.open_version.version})
    proposal = returns.proposal
    if not proposal.possible:
        raise Conflict(proposal.reason)
    assert returns.approved is not None and proposal.source is not None and proposal.target is not None  # noqa: S101
    source, target = proposal.source, proposal.target
    draft = budget_revise(budget=returns.approved, actor=actor)
    values = {
        "amount": cny_text(proposal.amount),
        "source": source.channel.name,
        "source_cost": cny_text(source.cost_per_paid_member),
        "target": target.channel.name,
        "target_cost": cny_text(target.cost_per_paid_member),
    }
    if month is None:
        summary = _(
            "Proposed re-balance by channel returns: %(amount)s moved from %(source)s (%(source_cost)s per paying "
            "member) to %(target)s (%(target_cost)s per paying member)."
        ) % values  # fmt: skip
    else:
        summary = _(
            "Proposed re-balance by channel returns in %(month)s: %(amount)s moved from %(source)s (%(source_cost)s "
            "per paying member) to %(target)s (%(target_cost)s per paying member)."
        ) % {**values, "month": month.label}  # fmt: skip
    note = f"{summary}\n\n{draft.note}".strip()[:TEXT_MAX_LENGTH]
    draft = budget_update(budget=draft, actor=actor, lines=_moved_lines(draft, proposal), note=note)
    audit_record(
        actor=actor,
        action="budget.rebalance_proposed",
        obj=draft,
        after={
            "from_version": returns.approved.version,
            "from_channel": source.channel.pk,
            "to_channel": target.channel.pk,
            "amount": proposal.amount,
            "from_cost_per_paid_member": source.cost_per_paid_member,
            "to_cost_per_paid_member": target.cost_per_paid_member,
            "month": month.label if month is not None else None,
        },
    )
    return draft, proposal
