"""Writes to the risk register. Every write leaves the risk's alert level correct at once (SPEC 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.models import BudgetLine
from campaigns.health import health_invalidate
from campaigns.models import Campaign, Task
from campaigns.permissions import campaign_policy
from campaigns.services import campaign_members
from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import Access
from core.services.audit import audit_record
from teams.models import User

from .alerts import refresh_alert_levels
from .models import AlertLevel, Risk, RiskCategory, RiskReview, RiskStatus

RATING_FIELDS = ("probability", "impact")


def _rating(value: Any, field: str) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise ApplicationError(errors={field: _("Rate from 1 (lowest) to 5 (highest).")}) from None
    if not 1 <= rating <= 5 or str(value).strip() not in (str(rating), f"{rating}.0"):
        raise ApplicationError(errors={field: _("Rate from 1 (lowest) to 5 (highest).")})
    return rating


def _snapshot(risk: Risk) -> dict[str, Any]:
    return {
        "title": risk.title,
        "status": risk.status,
        "probability": risk.probability,
        "impact": risk.impact,
        "expected_date": risk.expected_date,
        "alert_level": risk.alert_level,
        "owner": risk.owner_id,
    }


def _validate(campaign: Campaign, fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    for field in RATING_FIELDS:
        if field in cleaned:
            cleaned[field] = _rating(cleaned[field], field)
    if "category" in cleaned and cleaned["category"] not in RiskCategory.values:
        raise ApplicationError(errors={"category": _("Choose one of the risk categories.")})
    if "status" in cleaned and cleaned["status"] not in RiskStatus.values:
        raise ApplicationError(errors={"status": _("Choose one of: open, monitoring, occurred, mitigated, closed.")})
    if cleaned.get("title") is not None and not str(cleaned["title"]).strip():
        raise ApplicationError(errors={"title": _("Give the risk a title.")})
    owner = cleaned.get("owner")
    if owner is not None and not User.objects.filter(campaign_members(campaign), pk=owner.pk).exists():
        raise ApplicationError(
            errors={"owner": _("The owner must be a lead, deputy or member of the campaign's team.")}
        )
    task = cleaned.get("task")
    if task is not None and (not isinstance(task, Task) or task.campaign_id != campaign.pk):
        raise ApplicationError(errors={"task": _("Link a task of this campaign.")})
    line = cleaned.get("budget_line")
    if line is not None and (not isinstance(line, BudgetLine) or line.budget.campaign_id != campaign.pk):
        raise ApplicationError(errors={"budget_line": _("Link a budget line of this campaign.")})
    if cleaned.get("cost_impact") not in (None, ""):
        try:
            cost = Decimal(str(cleaned["cost_impact"]))
        except InvalidOperation:
            raise ApplicationError(errors={"cost_impact": _("Enter an amount in CNY.")}) from None
        if not cost.is_finite() or cost < 0:
            raise ApplicationError(errors={"cost_impact": _("Enter an amount in CNY, zero or more.")})
        cleaned["cost_impact"] = cost.quantize(Decimal("0.01"))
    elif "cost_impact" in cleaned:
        cleaned["cost_impact"] = None
    return cleaned


@transaction.atomic
def risk_save(*, campaign: Campaign, actor: User, risk: Risk | None = None, **fields: Any) -> Risk:
    """Create or change a risk (team members), then set its alert level; a rise is recorded and notified."""
    if campaign_policy.require(actor, campaign, Access.READ) < Access.WRITE:
        raise NotAllowed(_("Your role in this campaign is read-only."))
    cleaned = _validate(campaign, fields)
    creating = risk is None
    risk = risk or Risk(campaign=campaign)
    before = None if creating else _snapshot(Risk.objects.get(pk=risk.pk))
    for key, value in cleaned.items():
        setattr(risk, key, value)
    for field in RATING_FIELDS:
        if getattr(risk, field, None) is None:
            raise ApplicationError(errors={field: _("Rate from 1 (lowest) to 5 (highest).")})
    risk.save()
    refresh_alert_levels(risks=Risk.objects.filter(pk=risk.pk))
    health_invalidate([campaign.pk])  # a closed red risk no longer counts
    risk.refresh_from_db()
    audit_record(actor=actor, action="risk.created" if creating else "risk.updated", obj=risk, before=before,
                 after=_snapshot(risk))  # fmt: skip
    return risk


@transaction.atomic
def risk_acknowledge(*, risk: Risk, actor: User) -> Risk:
    """The owner (or the campaign's lead/deputy) acknowledges the current alert."""
    level = campaign_policy.require(actor, risk.campaign, Access.READ)
    if actor.pk != risk.owner_id and level < Access.MANAGE:
        raise NotAllowed(_("Only the risk's owner or the campaign's lead can acknowledge its alert."))
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    if risk.alert_level == AlertLevel.NONE:
        raise Conflict(_("This risk has no alert to acknowledge."))
    if risk.acknowledged_at is not None:
        raise Conflict(_("This alert was already acknowledged."))
    risk.acknowledged_at, risk.acknowledged_by = timezone.now(), actor
    risk.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    audit_record(actor=actor, action="risk.acknowledged", obj=risk, after={"alert_level": risk.alert_level})
    return risk


@transaction.atomic
def risk_review_record(
    *, risk: Risk, actor: User, reviewed_on: dt.date, probability: Any, impact: Any, notes: str = ""
) -> RiskReview:
    """A review re-rates the risk; the previous ratings are kept for the score history."""
    if campaign_policy.require(actor, risk.campaign, Access.READ) < Access.WRITE:
        raise NotAllowed(_("Your role in this campaign is read-only."))
    probability, impact = _rating(probability, "probability"), _rating(impact, "impact")
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    review = RiskReview.objects.create(
        risk=risk, reviewed_on=reviewed_on, reviewer=actor, notes=notes, previous_probability=risk.probability,
        previous_impact=risk.impact, probability=probability, impact=impact,
    )  # fmt: skip
    before = _snapshot(risk)
    risk.probability, risk.impact = probability, impact
    risk.save(update_fields=["probability", "impact", "updated_at"])
    audit_record(actor=actor, action="risk.reviewed", obj=risk, before=before, after=_snapshot(risk))
    return review
