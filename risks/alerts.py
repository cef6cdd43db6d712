"""Alert levels (SPEC 5) and their escalation, computed set-wise in the database.

With ``d`` = expected date − today in the campaign's time zone:
mitigated/closed → none; occurred → red; otherwise d ≤ 0 → red, 1 ≤ d ≤ yellow days (3) → yellow,
yellow+1 ≤ d ≤ blue days (7) → blue, later or no date → none.

Exactly once: a level change is applied with a compare-and-set under row locks (``SELECT … FOR UPDATE
SKIP LOCKED`` on the rows whose stored level differs from the computed one), so however often or however
concurrently the job runs, each rise is recorded as one AlertEvent and notified once.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import NotificationVerb
from core.services.notifications import NotificationRequest, notify_many

from .models import ALERT_RANK, AlertEvent, AlertLevel, Risk, RiskStatus


def alert_level_for(*, status: str, expected_date: dt.date | None, today: dt.date) -> str:
    """The rule on one risk, in Python (the database expression below must agree; tests check both)."""
    if status in (RiskStatus.MITIGATED, RiskStatus.CLOSED):
        return AlertLevel.NONE
    if status == RiskStatus.OCCURRED:
        return AlertLevel.RED
    if expected_date is None:
        return AlertLevel.NONE
    d = (expected_date - today).days
    if d <= 0:
        return AlertLevel.RED
    if d <= settings.RISK_ALERT_YELLOW_DAYS:
        return AlertLevel.YELLOW
    if d <= settings.RISK_ALERT_BLUE_DAYS:
        return AlertLevel.BLUE
    return AlertLevel.NONE


def alert_level_expression(today: dt.date) -> Case:
    """The same rule as a SQL CASE, for a set of risks whose campaigns share ``today``."""
    return Case(
        When(status__in=[RiskStatus.MITIGATED, RiskStatus.CLOSED], then=Value(AlertLevel.NONE)),
        When(status=RiskStatus.OCCURRED, then=Value(AlertLevel.RED)),
        When(expected_date__isnull=True, then=Value(AlertLevel.NONE)),
        When(expected_date__lte=today, then=Value(AlertLevel.RED)),
        When(
            expected_date__lte=today + dt.timedelta(days=settings.RISK_ALERT_YELLOW_DAYS), then=Value(AlertLevel.YELLOW)
        ),
        When(expected_date__lte=today + dt.timedelta(days=settings.RISK_ALERT_BLUE_DAYS), then=Value(AlertLevel.BLUE)),
        default=Value(AlertLevel.NONE),
        output_field=CharField(max_length=8),
    )


def today_in(time_zone: str, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone)).date()


@dataclass
class RefreshResult:
    changed: int = 0
    escalations: int = 0
    notifications: int = 0


def _alert_text(level: str):
    return {
        AlertLevel.BLUE: _(
            "Blue alert on risk “%(risk)s” (%(campaign)s): expected %(date)s — start the contingency plan."
        ),
        AlertLevel.YELLOW: _(
            "Yellow alert on risk “%(risk)s” (%(campaign)s): expected %(date)s — start the emergency response."
        ),
        AlertLevel.RED: _("Red alert on risk “%(risk)s” (%(campaign)s): urgent intervention needed."),
    }[level]


def refresh_alert_levels(*, risks: QuerySet[Risk] | None = None, now: dt.datetime | None = None) -> RefreshResult:
    """Bring stored alert levels up to date for ``risks`` (all by default), set-wise.

    Queries: per campaign time zone one locking SELECT of the rows that change, then one UPDATE per
    target level, one INSERT of the events and one of the notifications — independent of the number
    of risks (PostgreSQL inserts each batch in one statement).
    """
    now = now or timezone.now()
    base = risks if risks is not None else Risk.objects.all()
    result = RefreshResult()
    with transaction.atomic():
        zones = list(base.order_by().values_list("campaign__time_zone", flat=True).distinct())
        changes: list[tuple[int, str, str]] = []
        for zone in zones:
            expected = alert_level_expression(today_in(zone, now))
            rows = (
                base.filter(campaign__time_zone=zone)
                .annotate(computed=expected)
                .exclude(computed=F("alert_level"))
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "alert_level", "computed")
            )
            changes += list(rows)
        if not changes:
            return result
        by_level: dict[str, list[int]] = defaultdict(list)
        for pk, _old, new in changes:
            by_level[new].append(pk)
        for level, ids in by_level.items():
            update = {"alert_level": level, "alert_changed_at": now}
            rising_ids = [pk for pk, old, new in changes if new == level and ALERT_RANK[new] > ALERT_RANK[old]]
            Risk.objects.filter(pk__in=ids).update(**update)
            if rising_ids:
                # A new, higher level needs a fresh acknowledgement (and a fresh 24-hour clock).
                Risk.objects.filter(pk__in=rising_ids).update(
                    acknowledged_at=None, acknowledged_by=None, escalated_at=None
                )
        rising = [(pk, old, new) for pk, old, new in changes if ALERT_RANK[new] > ALERT_RANK[old]]
        result.changed = len(changes)
        result.escalations = len(rising)
        if rising:
            AlertEvent.objects.bulk_create(
                AlertEvent(risk_id=pk, level=new, previous_level=old) for pk, old, new in rising
            )
            result.notifications = _notify_escalations(rising)
    return result


def _notify_escalations(rising: Iterable[tuple[int, str, str]]) -> int:
    rising = list(rising)
    risks = {
        r.pk: r
        for r in Risk.objects.filter(pk__in=[pk for pk, _o, _n in rising]).select_related(
            "owner", "campaign__lead", "campaign"
        )
    }
    requests = []
    for pk, _old, new in rising:
        risk = risks[pk]
        recipients = {risk.owner} if risk.owner else set()
        if new == AlertLevel.RED or not recipients:
            recipients.add(risk.campaign.lead)
        params = {
            "risk": risk.title,
            "campaign": risk.campaign.code,
            "date": risk.expected_date.isoformat() if risk.expected_date else "—",
        }
        for user in sorted(recipients, key=lambda u: u.pk):
            requests.append(
                NotificationRequest(
                    recipient=user,
                    verb=NotificationVerb.RISK_ALERT,
                    text=_alert_text(new),
                    params=params,
                    url=f"/risks/{risk.pk}/",
                    obj=risk,
                )
            )
    return len(notify_many(requests))


def escalate_unacknowledged(*, now: dt.datetime | None = None, after: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """A yellow or red alert left unacknowledged for 24 hours goes to the campaign lead, once."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Risk.objects.filter(
                alert_level__in=[AlertLevel.YELLOW, AlertLevel.RED],
                acknowledged_at__isnull=True,
                escalated_at__isnull=True,
                alert_changed_at__lte=now - after,
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        Risk.objects.filter(pk__in=ids).update(escalated_at=now)
        risks = Risk.objects.filter(pk__in=ids).select_related("campaign__lead", "campaign", "owner")
        notify_many(
            [
                NotificationRequest(
                    recipient=risk.campaign.lead,
                    verb=NotificationVerb.RISK_ALERT,
                    text=_("Escalated: the %(level)s alert on risk “%(risk)s” (%(campaign)s) has not been acknowledged "
                           "by %(owner)s for 24 hours."),
                    params={"level": risk.alert_level, "risk": risk.title, "campaign": risk.campaign.code,
                            "owner": str(risk.owner) if risk.owner else "—"},
                    url=f"/risks/{risk.pk}/",
                    obj=risk,
                )
                for risk in risks
            ]
        )  # fmt: skip
        return len(ids)


def refresh_all(*, now: dt.datetime | None = None) -> RefreshResult:
    """The daily job: levels as days pass, then the 24-hour escalations."""
    result = refresh_alert_levels(now=now)
    escalate_unacknowledged(now=now)
    return result
