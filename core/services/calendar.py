"""Changing the working calendar (SPEC 10.4): administrators enter holidays and make-up working days; after the
change commits, ``core.calendar.calendar_changed`` tells the apps that schedule on working days (reviews moves
the affected future meetings and tells their chairs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.calendar import calendar_changed
from core.errors import ApplicationError, NotAllowed
from core.models import CalendarDay, CalendarDayKind
from core.permissions import principal_for
from core.services.audit import audit_record

MAX_RANGE_DAYS = 31


def _require_admin(actor: Any) -> None:
    if not principal_for(actor).is_admin:
        raise NotAllowed(_("Only an administrator can change the working calendar."))


def _announce(dates: list[dt.date]) -> None:
    if dates:
        transaction.on_commit(lambda: calendar_changed.send(sender=CalendarDay, dates=sorted(set(dates))))


def _clean(kind: Any, name: Any) -> tuple[str, str]:
    errors = {}
    if kind not in CalendarDayKind.values:
        errors["kind"] = _("Choose holiday or working day.")
    name = str(name or "").strip()
    if len(name) > 100:
        errors["name"] = _("Keep the name to 100 characters.")
    if errors:
        raise ApplicationError(errors=errors)
    return kind, name


@transaction.atomic
def calendar_days_set(
    *, actor: Any, start: dt.date, end: dt.date | None = None, kind: str, name: str = ""
) -> list[CalendarDay]:
    """Make every day from ``start`` to ``end`` (one day when not given) a holiday or a working day, replacing
    entries already there. At most 31 days at a time (the longest statutory holiday is 8)."""
    _require_admin(actor)
    kind, name = _clean(kind, name)
    end = end or start
    if end < start:
        raise ApplicationError(errors={"end": _("The last day cannot be before the first.")})
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ApplicationError(errors={"end": _("Enter at most 31 days at a time.")})
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    before = dict(CalendarDay.objects.select_for_update().filter(date__in=days).values_list("date", "kind"))
    rows = []
    for day in days:
        row, _created = CalendarDay.objects.update_or_create(
            date=day, defaults={"kind": kind, "name": name, "updated_by": actor}
        )
        rows.append(row)
    audit_record(
        actor=actor,
        action="calendar.days_set",
        object_type="core.calendarday",
        object_id=f"{start.isoformat()}..{end.isoformat()}",
        before={d.isoformat(): k for d, k in before.items()},
        after={"kind": kind, "name": name, "days": len(days)},
    )
    _announce([day for day in days if before.get(day) != kind])
    return rows


@transaction.atomic
def calendar_day_delete(*, actor: Any, day: CalendarDay) -> None:
    """Remove an entry: the packaged calendar (or weekends only) decides that day again."""
    _require_admin(actor)
    audit_record(
        actor=actor,
        action="calendar.day_deleted",
        object_type="core.calendarday",
        object_id=day.date.isoformat(),
        before={"kind": day.kind, "name": day.name},
    )
    CalendarDay.objects.filter(pk=day.pk).delete()
    _announce([day.date])
