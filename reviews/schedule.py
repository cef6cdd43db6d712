"""Meeting occurrences (SPEC 7): every ``interval_weeks`` weeks on the series' weekday from ``starts_on``,
at least four weeks ahead, on the Chinese working calendar (statutory holidays and make-up working days;
weekends only for years the calendar does not know). A day off is skipped or moved to the next working
day, as the series says. Idempotent: one meeting per (series, nominal date)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone

from core.calendar import is_working_day, next_working_day

from .models import HolidayPolicy, Meeting, MeetingStatus, ReviewSeries

HORIZON_WEEKS = 4


def nominal_dates(series: ReviewSeries, start: dt.date, end: dt.date) -> list[dt.date]:
    """The series' own dates in [start, end]."""
    # Counted in day numbers so that a series stored with a wild first week (9999-12-31) yields no dates
    # instead of overflowing the calendar.
    first = series.starts_on.toordinal() + (series.weekday - series.starts_on.weekday()) % 7
    step = 7 * series.interval_weeks
    if first < start.toordinal():
        first += (start.toordinal() - first + step - 1) // step * step
    last = min(end.toordinal(), dt.date.max.toordinal())
    return [dt.date.fromordinal(day) for day in range(first, last + 1, step)]


def occurrence_day(series: ReviewSeries, nominal: dt.date) -> dt.date | None:
    """When the meeting of ``nominal`` takes place, or None when it is skipped."""
    if is_working_day(nominal):
        return nominal
    if series.holiday_policy == HolidayPolicy.SKIP:
        return None
    return next_working_day(nominal)


@transaction.atomic
def series_generate_meetings(series: ReviewSeries, *, today: dt.date | None = None, weeks: int = HORIZON_WEEKS) -> int:
    """Create the meetings of the coming ``weeks`` (and move scheduled ones whose date or time changed).
    Returns how many were created."""
    zone = zoneinfo.ZoneInfo(series.timezone)
    today = today or timezone.now().astimezone(zone).date()
    upcoming = Meeting.objects.filter(series=series, status=MeetingStatus.SCHEDULED, scheduled_at__gte=timezone.now())
    if not series.active:
        # A paused series holds no future meetings (their history stays, as cancelled).
        upcoming.update(status=MeetingStatus.CANCELLED)
        return 0
    wanted = set(nominal_dates(series, today, today + dt.timedelta(weeks=weeks)))
    # Meetings left behind by a change of weekday, interval or start are cancelled, not silently kept.
    upcoming.filter(nominal_date__lte=today + dt.timedelta(weeks=weeks)).exclude(nominal_date__in=wanted).update(
        status=MeetingStatus.CANCELLED
    )
    existing = {
        m.nominal_date: m
        for m in Meeting.objects.filter(series=series, nominal_date__gte=today).exclude(status=MeetingStatus.CANCELLED)
    }
    taken_days = {m.scheduled_at.astimezone(zone).date() for m in existing.values()}
    created = 0
    for nominal in sorted(wanted):
        day = occurrence_day(series, nominal)
        meeting = existing.get(nominal)
        if day is None or (meeting is None and day in taken_days):
            continue  # skipped for a day off, or moved onto a day that already has this series' meeting
        when = dt.datetime.combine(day, series.time, tzinfo=zone)
        if meeting is None:
            Meeting.objects.create(series=series, nominal_date=nominal, scheduled_at=when)
            taken_days.add(day)
            created += 1
        elif meeting.status == MeetingStatus.SCHEDULED and meeting.scheduled_at != when:
            meeting.scheduled_at = when
            meeting.save(update_fields=["scheduled_at"])
    return created


def generate_all(*, today: dt.date | None = None) -> int:
    return sum(series_generate_meetings(s, today=today) for s in ReviewSeries.objects.filter(active=True))
