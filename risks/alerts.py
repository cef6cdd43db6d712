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
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import ngettext, pgettext_lazy

from campaigns.health import health_invalidate
from core.bulk import copy_rows
from core.models import NotificationVerb
from core.services.notifications import NotificationRequest, NotificationRow, notify_many, notify_rows
from teams.chat import chat_announce, chat_teams_following

from .models import ALERT_RANK, AlertEvent, AlertLevel, Risk, RiskStatus
from .notices import ALERT_MESSAGES, ESCALATED


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


_ROW_FIELDS = (
    "pk", "alert_level", "computed", "title", "expected_date", "campaign__code",
    "owner_id", "owner__language", "owner__is_active",
    "campaign__lead_id", "campaign__lead__language", "campaign__lead__is_active", "campaign__team_id", "campaign_id",
)  # fmt: skip


def _rank_sql(column: str) -> str:
    return (
        "CASE "
        + " ".join(f"WHEN {column} = '{level}' THEN {rank}" for level, rank in ALERT_RANK.items())
        + " ELSE 0 END"
    )


# Whether a changed row's level rises (ALERT_RANK in SQL; the levels are the code's own constants).
_RISE_SQL = f"({_rank_sql('c.computed')} > {_rank_sql('c.alert_level')})"


def refresh_alert_levels(*, risks: QuerySet[Risk] | None = None, now: dt.datetime | None = None) -> RefreshResult:
    """Bring stored alert levels up to date for ``risks`` (all by default), set-wise.

    Queries (PostgreSQL): per campaign time zone one UPDATE that finds, locks, writes and returns the rows whose
    level changes (with what the notifications need), then one COPY of the events and one of the notifications —
    independent of the number of risks. Elsewhere a locking SELECT per time zone and an UPDATE per new level.
    """
    now = now or timezone.now()
    base = risks if risks is not None else Risk.objects.all()
    result = RefreshResult()
    with transaction.atomic():
        zones = list(base.order_by().values_list("campaign__time_zone", flat=True).distinct())
        table = Risk._meta.db_table
        changes: list[tuple] = []
        for zone in zones:
            rows = (
                base.filter(campaign__time_zone=zone)
                .annotate(computed=alert_level_expression(today_in(zone, now)))
                .exclude(computed=F("alert_level"))
                .select_for_update(skip_locked=True, of=("self",))
                .order_by()
                .values_list(*_ROW_FIELDS)
            )
            if connection.vendor == "postgresql":
                # One statement per time zone finds the rows whose level changes, locks them (skipping any a user
                # holds), writes each once — its new level, and for a rise a fresh acknowledgement and 24-hour
                # clock — and returns them with what the notifications need.
                select_sql, params = rows.query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} AS r SET alert_level = c.computed, alert_changed_at = %s, "  # noqa: S608
                        f"acknowledged_at = CASE WHEN {_RISE_SQL} THEN NULL ELSE r.acknowledged_at END, "
                        f"acknowledged_by_id = CASE WHEN {_RISE_SQL} THEN NULL ELSE r.acknowledged_by_id END, "
                        f"escalated_at = CASE WHEN {_RISE_SQL} THEN NULL ELSE r.escalated_at END "
                        f"FROM ({select_sql}) AS c WHERE r.id = c.pk RETURNING c.*",
                        [now, *params],
                    )  # fmt: skip
                    changes += cursor.fetchall()
            else:
                changes += list(rows)
        if not changes:
            return result
        changes.sort(key=lambda row: row[0])  # by risk: the events and notices in a fixed order
        rises = [ALERT_RANK[row[2]] > ALERT_RANK[row[1]] for row in changes]
        rising = [row for row, is_rise in zip(changes, rises, strict=True) if is_rise]
        if connection.vendor != "postgresql":
            groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
            for row, is_rise in zip(changes, rises, strict=True):
                groups[(row[2], is_rise)].append(row[0])
            for (level, is_rise), ids in groups.items():
                Risk.objects.filter(pk__in=ids).update(
                    alert_level=level, alert_changed_at=now,
                    **({"acknowledged_at": None, "acknowledged_by": None, "escalated_at": None} if is_rise else {}),
                )  # fmt: skip
        if rising:
            copy_rows(
                AlertEvent,
                ["risk_id", "level", "previous_level", "created_at"],
                ((row[0], row[2], row[1], now) for row in rising),
            )
            result.notifications = notify_rows(_escalation_notifications(rising))
            _announce_in_team_chats(rising, now)
        health_invalidate({row[-1] for row in changes})  # red alerts make their campaigns red
        result.changed = len(changes)
        result.escalations = len(rising)
    return result


def _escalation_notifications(rising: list[tuple]):
    """The owner hears of every rise; the campaign lead of red ones (and of any risk without an owner)."""
    for (
        pk,
        _old,
        new,
        title,
        expected,
        code,
        owner,
        owner_lang,
        owner_active,
        lead,
        lead_lang,
        lead_active,
        _team,
        _cid,
    ) in rising:
        params = {"risk": title, "campaign": code, "date": expected or "—"}  # a date is written in the reader's format
        recipients = {}
        if owner is not None and owner_active:
            recipients[owner] = owner_lang
        if (new == AlertLevel.RED or owner is None) and lead_active:
            recipients[lead] = lead_lang
        for user_id, language in sorted(recipients.items()):
            yield NotificationRow(
                recipient_id=user_id,
                language=language,
                message=ALERT_MESSAGES[new],
                params=params,
                url=f"/risks/{pk}/",
                object_type="risks.risk",
                object_id=pk,
            )


def _announce_in_team_chats(rising: list[tuple], now: dt.datetime) -> None:
    """Each rise, once, to the chat channels of the campaign's team that follow risk alerts (SPEC 10.4)."""
    teams = chat_teams_following(NotificationVerb.RISK_ALERT)
    for row in rising:
        pk, new, title, expected, code, team_id = row[0], row[2], row[3], row[4], row[5], row[-2]
        if team_id in teams:
            chat_announce(
                team_id=team_id,
                message=ALERT_MESSAGES[new],
                params={"risk": title, "campaign": code, "date": expected or "—"},
                url=f"/risks/{pk}/",
                event=f"risk:{pk}:{new}:{now.isoformat()}",
            )


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
                    message=ESCALATED,
                    params={"level": ALERT_SHORT.get(risk.alert_level, risk.alert_level), "risk": risk.title, "campaign": risk.campaign.code,
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


# What a badge says: the colour's short name (never colour alone) and how far off the expected date is.
ALERT_SHORT = {
    AlertLevel.RED: pgettext_lazy("alert level", "Red"),
    AlertLevel.YELLOW: pgettext_lazy("alert level", "Yellow"),
    AlertLevel.BLUE: pgettext_lazy("alert level", "Blue"),
}


def alert_badge(risk: Risk, today: dt.date) -> dict[str, str]:
    """What the alert badge says: the colour's name and how far off the expected date is (never colour alone)."""
    level = risk.alert_level
    if level == AlertLevel.NONE:
        return {"level": "none", "text": gettext_now("No alert"), "title": str(AlertLevel.NONE.label)}
    if risk.status == RiskStatus.OCCURRED:
        when = gettext_now("occurred")
    elif risk.expected_date is None:
        when = ""
    else:
        days = (risk.expected_date - today).days
        if days > 0:
            when = ngettext("%(days)s day", "%(days)s days", days) % {"days": days}
        elif days == 0:
            when = gettext_now("today")
        else:
            when = ngettext("%(days)s day overdue", "%(days)s days overdue", -days) % {"days": -days}
    short = str(ALERT_SHORT[level])
    text = gettext_now("%(level)s · %(when)s") % {"level": short, "when": when} if when else short
    return {"level": level, "text": text, "title": str(AlertLevel(level).label)}
