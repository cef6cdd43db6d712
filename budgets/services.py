"""Budgets and the three-way sign-off (SPEC 4). Every rule is enforced here, server-side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.health import health_invalidate
from campaigns.models import Campaign, Channel
from campaigns.permissions import campaign_policy
from core.errors import ApplicationError, Conflict, NotAllowed
from core.formatting import cny_text
from core.messages import Money
from core.models import NotificationVerb
from core.permissions import Access, principal_for
from core.services.audit import audit_record
from core.services.notifications import notifications_resolve, notify
from teams.chat import chat_announce
from teams.models import User

from . import notices
from .checklists import checklist_codes
from .models import (
    RESERVE_CATEGORIES,
    Budget,
    BudgetLine,
    BudgetStatus,
    Decision,
    Expense,
    LineCategory,
    LineKind,
    Signoff,
    SignoffReminder,
    SignoffRole,
)
from .rules import signer_conflict

CENT = Decimal("0.01")
WARN_AT = Decimal("0.90")
ALERT_AT = Decimal("1.00")


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ApplicationError(errors={field: _("Enter an amount such as 1000000.00.")}) from None
    if not amount.is_finite():
        raise ApplicationError(errors={field: _("Enter an amount such as 1000000.00.")})
    if amount != amount.quantize(CENT):
        raise ApplicationError(errors={field: _("Amounts have at most two decimal places.")})
    return amount.quantize(CENT)


# --- Validation ---------------------------------------------------------------------------


MAX_LINES = 200  # SPEC 10.1 "Bounds": a budget has at most 200 lines


def _clean_lines(campaign: Campaign, lines: Iterable[Mapping[str, Any]]) -> list[BudgetLine]:
    lines = list(lines)
    if len(lines) > MAX_LINES:
        raise ApplicationError(
            errors={
                "lines": _("A budget has at most %(max)d lines; this one has %(n)d.")
                % {"max": MAX_LINES, "n": len(lines)}
            }
        )
    cleaned: list[BudgetLine] = []
    problems: list[str] = []
    channels = {c.pk: c for c in Channel.objects.filter(campaign=campaign)}
    for number, raw in enumerate(lines, start=1):
        category, kind = raw.get("category"), raw.get("kind") or LineKind.RIGID
        if category not in LineCategory.values:
            problems.append(_("Line %(n)d: choose a category.") % {"n": number})
            continue
        if kind not in LineKind.values:
            problems.append(_("Line %(n)d: the kind is rigid or flexible.") % {"n": number})
            continue
        try:
            amount = _money(raw.get("amount"), "lines")
        except ApplicationError:
            problems.append(_("Line %(n)d: enter the amount as a number such as 1000000.00.") % {"n": number})
            continue
        if amount <= 0:
            problems.append(_("Line %(n)d: the amount must be greater than zero.") % {"n": number})
            continue
        channel = raw.get("channel")
        channel_id = getattr(channel, "pk", channel)
        if channel_id not in (None, "") and int(channel_id) not in channels:
            problems.append(_("Line %(n)d: the channel is not one of this campaign's channels.") % {"n": number})
            continue
        cleaned.append(
            BudgetLine(
                category=category,
                kind=kind,
                amount=amount,
                channel=channels.get(int(channel_id)) if channel_id not in (None, "") else None,
                note=str(raw.get("note") or "")[:300],
                position=number,
            )
        )
    if problems:
        raise ApplicationError(errors={"lines": problems})
    return cleaned


def budget_check(*, total: Decimal, reserve_pct: Decimal, lines: list[BudgetLine]) -> None:
    """SPEC 4: at least one line; amounts > 0; lines sum ≤ total cap; reserve lines ≥ reserve % × cap.

    Messages say what is wrong in money terms, e.g. the seed plan's 31 M of lines under a 30 M cap.
    """
    errors: dict[str, list[str]] = {}
    if total <= 0:
        errors.setdefault("total", []).append(_("The total cap must be greater than zero."))
    if not (0 <= reserve_pct <= 100):
        errors.setdefault("reserve_pct", []).append(_("The reserve percentage is between 0 and 100."))
    if not lines:
        errors.setdefault("lines", []).append(_("Add at least one budget line."))
    if errors:
        raise ApplicationError(errors=errors)
    line_sum = sum((line.amount for line in lines), Decimal(0))
    if line_sum > total:
        errors.setdefault("lines", []).append(
            _(
                "The lines add up to %(sum)s, which is %(over)s more than the total cap of %(cap)s. "
                "Reduce the lines or raise the cap."
            )
            % {"sum": cny_text(line_sum), "over": cny_text(line_sum - total), "cap": cny_text(total)}
        )
    reserve = sum((line.amount for line in lines if line.category in RESERVE_CATEGORIES), Decimal(0))
    required = (total * reserve_pct / Decimal(100)).quantize(CENT)
    if reserve < required:
        errors.setdefault("reserve_pct", []).append(
            _(
                "The risk reserve (emergency and partner-reserve lines) is %(reserve)s, but %(pct)s%% of the cap "
                "is %(required)s: add %(missing)s to the reserve lines."
            )
            % {
                "reserve": cny_text(reserve),
                "pct": number_format(reserve_pct.normalize(), use_l10n=True),
                "required": cny_text(required),
                "missing": cny_text(required - reserve),
            }
        )
    if errors:
        raise ApplicationError(errors=errors)


def _require_manage(actor: User, campaign: Campaign) -> None:
    if campaign_policy.require(actor, campaign, Access.READ) < Access.MANAGE:
        raise NotAllowed(_("Only the lead or deputy of the campaign's team can edit and submit its budget."))


def _snapshot(budget: Budget) -> dict[str, Any]:
    return {
        "version": budget.version,
        "status": budget.status,
        "total": budget.total,
        "reserve_pct": budget.reserve_pct,
        "lines": [
            {"category": line.category, "kind": line.kind, "amount": line.amount, "channel": line.channel_id}
            for line in budget.lines.all()
        ],
    }


def _budget_url(budget: Budget) -> str:
    return reverse("budgets:detail", args=[budget.pk])


# --- Drafts -------------------------------------------------------------------------------


@transaction.atomic
def budget_create(
    *,
    actor: User,
    campaign: Campaign,
    total: Any,
    lines: Iterable[Mapping[str, Any]],
    reserve_pct: Any = "10",
    note: str = "",
) -> Budget:
    """A campaign's first budget, as a draft. Later versions come from :func:`budget_revise`."""
    _require_manage(actor, campaign)
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    existing = Budget.objects.filter(campaign=campaign).order_by("-version").first()
    if existing is not None:
        raise Conflict(
            _("This campaign already has budget version %(v)d (%(status)s); revise it instead of starting over.")
            % {"v": existing.version, "status": BudgetStatus(existing.status).label}
        )
    total, reserve_pct = _money(total, "total"), _money(reserve_pct, "reserve_pct")
    cleaned = _clean_lines(campaign, lines)
    budget_check(total=total, reserve_pct=reserve_pct, lines=cleaned)
    budget = Budget.objects.create(
        campaign=campaign, version=1, total=total, reserve_pct=reserve_pct, note=note, created_by=actor
    )
    for line in cleaned:
        line.budget = budget
    BudgetLine.objects.bulk_create(cleaned)
    audit_record(actor=actor, action="budget.created", obj=budget, after=_snapshot(budget))
    return budget


@transaction.atomic
def budget_update(
    *,
    budget: Budget,
    actor: User,
    total: Any = None,
    reserve_pct: Any = None,
    lines: Iterable[Mapping[str, Any]] | None = None,
    note: str | None = None,
) -> Budget:
    """Change a draft; ``lines`` replaces all lines. Any other status is locked (409)."""
    _require_manage(actor, budget.campaign)
    budget = Budget.objects.select_for_update().select_related("campaign").get(pk=budget.pk)
    if budget.status != BudgetStatus.DRAFT:
        raise Conflict(
            _("Only a draft budget can be changed; this one is %(status)s.") % {"status": budget.get_status_display()}
        )
    before = _snapshot(budget)
    if total is not None:
        budget.total = _money(total, "total")
    if reserve_pct is not None:
        budget.reserve_pct = _money(reserve_pct, "reserve_pct")
    if note is not None:
        budget.note = note
    cleaned = _clean_lines(budget.campaign, lines) if lines is not None else list(budget.lines.all())
    budget_check(total=budget.total, reserve_pct=budget.reserve_pct, lines=cleaned)
    budget.save()
    if lines is not None:
        budget.lines.all().delete()
        for line in cleaned:
            line.budget = budget
        BudgetLine.objects.bulk_create(cleaned)
    audit_record(actor=actor, action="budget.updated", obj=budget, before=before, after=_snapshot(budget))
    return budget


def approvers_for(role: str) -> list[User]:
    """Active holders of an approver role (``finance``, ``marketing`` or ``tech``); segregation of duties is not applied here."""
    return list(User.objects.filter(groups__name=f"{role}_approver", is_active=True).distinct())


@transaction.atomic
def budget_submit(*, budget: Budget, actor: User) -> Budget:
    """draft → in_review, after validating again; the signers are notified."""
    _require_manage(actor, budget.campaign)
    budget = Budget.objects.select_for_update().select_related("campaign").get(pk=budget.pk)
    if budget.status != BudgetStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be submitted; this budget is %(status)s.") % {"status": budget.get_status_display()}
        )
    budget_check(total=budget.total, reserve_pct=budget.reserve_pct, lines=list(budget.lines.all()))
    budget.status = BudgetStatus.IN_REVIEW
    budget.submitted_by, budget.submitted_at = actor, timezone.now()
    budget.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(
        actor=actor, action="budget.submitted", obj=budget, before={"status": "draft"}, after=_snapshot(budget)
    )
    signers = {u for role in SignoffRole.values for u in approvers_for(role)} - {actor}
    notify(
        recipients=sorted(signers, key=lambda u: u.pk),
        message=notices.SUBMITTED,
        params={"budget": str(budget), "total": Money(budget.total)},
        url=_budget_url(budget),
        obj=budget,
    )
    chat_announce(team_id=budget.campaign.team_id, message=notices.SUBMITTED,
                  params={"budget": str(budget), "total": Money(budget.total)}, url=_budget_url(budget),
                  event=f"budget:{budget.pk}:submitted:{budget.submitted_at.isoformat()}")  # fmt: skip
    return budget


@transaction.atomic
def budget_withdraw(*, budget: Budget, actor: User) -> Budget:
    """in_review → draft, only while nobody has signed."""
    _require_manage(actor, budget.campaign)
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    if budget.status != BudgetStatus.IN_REVIEW:
        raise Conflict(_("Only a budget in review can be withdrawn."))
    if budget.signoffs.exists():
        raise Conflict(_("Sign-offs have been recorded on this version, so it can no longer be withdrawn."))
    budget.status, budget.submitted_at, budget.submitted_by = BudgetStatus.DRAFT, None, None
    budget.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    notifications_resolve(obj=budget, verbs=SIGNOFF_REQUESTS)  # nobody is asked to sign a draft
    audit_record(
        actor=actor, action="budget.withdrawn", obj=budget, before={"status": "in_review"}, after={"status": "draft"}
    )
    return budget


@transaction.atomic
def budget_revise(*, budget: Budget, actor: User) -> Budget:
    """A new draft version copied from an approved or rejected budget; it goes through the full sign-off."""
    _require_manage(actor, budget.campaign)
    Campaign.objects.select_for_update().filter(pk=budget.campaign_id).first()
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    if budget.status not in (BudgetStatus.APPROVED, BudgetStatus.REJECTED):
        raise Conflict(_("Only an approved or rejected budget can be revised."))
    open_version = Budget.objects.filter(
        campaign_id=budget.campaign_id, status__in=[BudgetStatus.DRAFT, BudgetStatus.IN_REVIEW]
    ).first()
    if open_version is not None:
        raise Conflict(_("Version %(v)d is already being worked on.") % {"v": open_version.version})
    latest = (
        Budget.objects.filter(campaign_id=budget.campaign_id).order_by("-version").values_list("version", flat=True)[0]
    )
    draft = Budget.objects.create(
        campaign_id=budget.campaign_id,
        version=latest + 1,
        total=budget.total,
        reserve_pct=budget.reserve_pct,
        note=budget.note,
        revised_from=budget,
        created_by=actor,
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(budget=draft, category=x.category, kind=x.kind, amount=x.amount, channel_id=x.channel_id, note=x.note,
                   position=x.position)
        for x in budget.lines.all()
    )  # fmt: skip
    audit_record(actor=actor, action="budget.revised", obj=draft, before={"from_version": budget.version},
                 after=_snapshot(draft))  # fmt: skip
    return draft


# --- Sign-off -----------------------------------------------------------------------------


def _clean_checklist(role: str, decision: str, checklist: Any) -> dict[str, bool]:
    if checklist in (None, ""):
        return {}
    if not isinstance(checklist, Mapping):
        raise ApplicationError(errors={"checklist": _("The checklist is an object of item code → true/false.")})
    codes = checklist_codes(role)
    unknown = sorted(set(checklist) - set(codes))
    if unknown:
        raise ApplicationError(
            errors={"checklist": _("Unknown items for this role: %(items)s. Known: %(known)s.")
                    % {"items": ", ".join(unknown), "known": ", ".join(codes)}}
        )  # fmt: skip
    if any(not isinstance(v, bool) for v in checklist.values()):
        raise ApplicationError(errors={"checklist": _("Answer each checklist item with true or false.")})
    failing = [code for code, ok in checklist.items() if not ok]
    if decision == Decision.APPROVE and failing:
        raise ApplicationError(
            errors={
                "checklist": _("You cannot approve while these items are unticked: %(items)s.")
                % {"items": ", ".join(failing)}
            }
        )
    return dict(checklist)


@transaction.atomic
def signoff_record(
    *, budget: Budget, signer: User, role: str, decision: str, comment: str = "", checklist: Any = None
) -> Signoff:
    """Record one role's decision on a budget in review (SPEC 4 rules 1–6).

    The budget row is locked for the whole decision, so concurrent signers queue: the last of three
    approvals approves the budget in the same transaction, and any rejection rejects it at once.
    """
    if role not in SignoffRole.values:
        raise ApplicationError(errors={"role": _("The role is finance, marketing or tech.")})
    if decision not in Decision.values:
        raise ApplicationError(errors={"decision": _("The decision is approve or reject.")})
    # Rule 1: only holders of <role>_approver sign as <role>.
    if f"{role}_approver" not in principal_for(signer).roles:
        raise NotAllowed(_("Only a %(role)s approver can sign as %(role)s.") % {"role": role})
    budget = Budget.objects.select_for_update().select_related("campaign", "campaign__lead").get(pk=budget.pk)
    # Rule 2: only budgets in review.
    if budget.status != BudgetStatus.IN_REVIEW:
        raise Conflict(
            _("This budget is %(status)s, not in review; there is nothing to sign.")
            % {"status": budget.get_status_display()}
        )
    existing = list(budget.signoffs.all())
    # Rule 3: one sign-off per role per version.
    taken = next((s for s in existing if s.role == role), None)
    if taken is not None:
        raise Conflict(
            _("The %(role)s sign-off for this version was already given by %(name)s.")
            % {"role": role, "name": taken.signer}
        )
    # Rule 4 and SPEC 10.1: segregation of duties (budgets/rules.py), inside the row lock.
    conflict = signer_conflict(budget, signer)
    if conflict is not None:
        raise NotAllowed(conflict)
    if decision == Decision.REJECT and not comment.strip():
        raise ApplicationError(errors={"comment": _("Say why you reject the budget.")})
    answers = _clean_checklist(role, decision, checklist)
    try:
        with transaction.atomic():
            signoff = Signoff.objects.create(
                budget=budget, role=role, decision=decision, signer=signer, comment=comment.strip(), checklist=answers
            )
    except IntegrityError:  # the constraints back up rules 3 and 4 if anything slipped past the lock
        raise Conflict(_("This sign-off was recorded already.")) from None
    audit_record(actor=signer, action="budget.signed", obj=budget,
                 after={"role": role, "decision": decision, "comment": signoff.comment, "checklist": answers})  # fmt: skip
    approvals = {s.role for s in existing if s.decision == Decision.APPROVE}
    if decision == Decision.APPROVE:
        approvals.add(role)
    if decision == Decision.REJECT:
        _decide(budget, BudgetStatus.REJECTED, signer)
    elif approvals == set(SignoffRole.values):
        _decide(budget, BudgetStatus.APPROVED, signer)
    else:  # the request stays open only for those who may still sign a role nobody has signed yet
        notifications_resolve(obj=budget, verbs=SIGNOFF_REQUESTS, still_needed=pending_signers(budget))
    return signoff


# The notifications that ask an approver to sign a budget (resolved once that no longer applies, SPEC 10.4).
SIGNOFF_REQUESTS = (NotificationVerb.BUDGET_SUBMITTED, NotificationVerb.BUDGET_REMINDER)


def _decide(budget: Budget, status: str, actor: User) -> None:
    now = timezone.now()
    if status == BudgetStatus.APPROVED:
        # Rule 7: approving a revision supersedes the version it replaces (first, for the one-approved constraint).
        previous = Budget.objects.select_for_update().filter(
            campaign_id=budget.campaign_id, status=BudgetStatus.APPROVED
        )
        for old in previous:
            old.status = BudgetStatus.SUPERSEDED
            old.save(update_fields=["status", "updated_at"])
            audit_record(actor=actor, action="budget.superseded", obj=old, before={"status": "approved"},
                         after={"status": "superseded", "by_version": budget.version})  # fmt: skip
        budget.approved_at = now
    budget.status, budget.decided_at = status, now
    budget.save(update_fields=["status", "approved_at", "decided_at", "updated_at"])
    notifications_resolve(obj=budget, verbs=SIGNOFF_REQUESTS)  # decided: no sign-off is asked for any more
    health_invalidate([budget.campaign_id])  # the approved total is what burn is measured against
    audit_record(
        actor=actor, action=f"budget.{status}", obj=budget, before={"status": "in_review"}, after={"status": status}
    )
    approved = status == BudgetStatus.APPROVED
    notify(
        recipients=[budget.campaign.lead],
        message=notices.APPROVED if approved else notices.REJECTED,
        params={"budget": str(budget)},
        url=_budget_url(budget),
        obj=budget,
    )
    chat_announce(team_id=budget.campaign.team_id, message=notices.APPROVED if approved else notices.REJECTED,
                  params={"budget": str(budget)}, url=_budget_url(budget), event=f"budget:{budget.pk}:{status}")  # fmt: skip


def pending_roles(budget: Budget) -> list[str]:
    """The roles that have not yet signed this version."""
    signed = set(budget.signoffs.values_list("role", flat=True))
    return [role for role in SignoffRole.values if role not in signed]


def pending_signers(budget: Budget) -> dict[User, list[str]]:
    """Who may still sign an in-review budget, with the roles each could sign (for reminders and queues)."""
    if budget.status != BudgetStatus.IN_REVIEW:
        return {}
    result: dict[User, list[str]] = {}
    allowed: dict[int, bool] = {}
    for role in pending_roles(budget):
        for user in approvers_for(role):
            if user.pk not in allowed:
                allowed[user.pk] = signer_conflict(budget, user) is None  # budgets/rules.py
            if allowed[user.pk]:
                result.setdefault(user, []).append(role)
    return result


def signoff_reminders_send(*, day: dt.date) -> int:
    """Remind each pending signer of each budget in review once on ``day`` (the unique constraint on
    (budget, user, day) makes a second run, or a concurrent one, send nothing). Returns reminders sent."""
    sent = 0
    for budget in Budget.objects.filter(status=BudgetStatus.IN_REVIEW).select_related("campaign"):
        for user, roles in pending_signers(budget).items():
            try:
                with transaction.atomic():
                    SignoffReminder.objects.create(budget=budget, user=user, day=day)
                    notify(
                        recipients=[user],
                        message=notices.REMINDER,
                        params={"budget": str(budget), "roles": [SignoffRole(role).label for role in roles]},
                        url=_budget_url(budget),
                        obj=budget,
                    )
            except IntegrityError:
                continue  # already reminded today
            sent += 1
    return sent


# --- Expenses -----------------------------------------------------------------------------


@transaction.atomic
def expense_record(*, line: BudgetLine, actor: User, amount: Any, date: dt.date, description: str) -> Expense:
    """Spend against a line of an approved budget; the lead hears once when a line passes 90 % and once at 100 %."""
    budget = line.budget
    _require_manage(actor, budget.campaign)
    if budget.status != BudgetStatus.APPROVED:
        raise Conflict(_("Expenses are recorded against the approved budget version only."))
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ApplicationError(errors={"amount": _("The amount must be greater than zero.")})
    if not description.strip():
        raise ApplicationError(errors={"description": _("Describe what the money was spent on.")})
    line = BudgetLine.objects.select_for_update().select_related("budget__campaign__lead").get(pk=line.pk)
    expense = Expense.objects.create(
        line=line, amount=amount, date=date, description=description.strip(), recorded_by=actor
    )
    health_invalidate([budget.campaign_id])
    spent = line.expenses.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    burn = spent / line.amount
    now = timezone.now()
    for threshold, field, notice in ((WARN_AT, "warned_at", notices.LINE_WARNING),
                                     (ALERT_AT, "alerted_at", notices.LINE_OVERSPENT)):  # fmt: skip
        if burn >= threshold and getattr(line, field) is None:
            setattr(line, field, now)
            line.save(update_fields=[field])
            notify(
                recipients=[line.budget.campaign.lead],
                message=notice,
                params=(
                    params := {
                        "line": LineCategory(line.category).label,
                        "budget": str(line.budget),
                        "pct": round(burn * 100),
                        "spent": Money(spent),
                        "amount": Money(line.amount),
                    }
                ),
                url=_budget_url(line.budget),
                obj=line.budget,
            )
            chat_announce(team_id=budget.campaign.team_id, message=notice, params=params,
                          url=_budget_url(line.budget), event=f"budget-line:{line.pk}:{field}")  # fmt: skip
    audit_record(
        actor=actor, action="budget.expense", obj=line.budget, after={"line": line.pk, "amount": amount, "date": date}
    )
    return expense
