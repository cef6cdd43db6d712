"""Meeting occurrences (SPEC 7): every ``interval_weeks`` weeks on the series' weekday from ``starts_on``,
at least four weeks ahead, on the Chinese working calendar (statutory holidays and make-up working days;
weekends only for years the calendar does not know). A day off is skipped or moved to the next working
day, as the series says. Idempotent: one meeting per (series, nominal date)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.calendar import WorkingCalendar, working_calendar

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


def occurrence_day(series: ReviewSeries, nominal: dt.date, calendar: WorkingCalendar | None = None) -> dt.date | None:
    """When the meeting of ``nominal`` takes place, or None when it is skipped."""
    calendar = calendar or working_calendar(start=nominal, end=nominal + dt.timedelta(days=60))
    if calendar.is_working_day(nominal):
        return nominal
    if series.holiday_policy == HolidayPolicy.SKIP:
        return None
    return calendar.next_working_day(nominal)


@dataclass(frozen=True)
class MeetingChange:
    """A scheduled meeting the calendar moved (``new`` None: skipped; ``old`` None: back on)."""

    meeting: Meeting
    old: dt.datetime | None
    new: dt.datetime | None


@transaction.atomic
def series_generate_meetings(
    series: ReviewSeries,
    *,
    today: dt.date | None = None,
    weeks: int = HORIZON_WEEKS,
    calendar: WorkingCalendar | None = None,
    changes: list[MeetingChange] | None = None,
) -> int:
    """Create the meetings of the coming ``weeks``, move scheduled ones whose date or time changed, cancel
    those that now fall on a skipped day off and bring back those cancelled ones that are wanted again.
    Returns how many were created; ``changes`` (when given) collects the moves of existing meetings."""
    zone = zoneinfo.ZoneInfo(series.timezone)
    today = today or timezone.now().astimezone(zone).date()
    calendar = calendar or working_calendar(
        start=today - dt.timedelta(days=7), end=today + dt.timedelta(weeks=weeks + 9)
    )
    changes = changes if changes is not None else []
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
    existing = {m.nominal_date: m for m in Meeting.objects.filter(series=series, nominal_date__gte=today)}
    taken_days = {
        m.scheduled_at.astimezone(zone).date() for m in existing.values() if m.status != MeetingStatus.CANCELLED
    }
    created = 0
    for nominal in sorted(wanted):
        day = occurrence_day(series, nominal, calendar)
        meeting = existing.get(nominal)
        live = meeting is not None and meeting.status == MeetingStatus.SCHEDULED and meeting.published_at is None
        if day is None:
            if live:  # the day became a day off and the series skips those
                meeting.status = MeetingStatus.CANCELLED
                meeting.save(update_fields=["status"])
                changes.append(MeetingChange(meeting, meeting.scheduled_at, None))
            continue
        when = dt.datetime.combine(day, series.time, tzinfo=zone)
        if meeting is None:
            if day in taken_days:
                continue  # moved onto a day that already has this series' meeting
            Meeting.objects.create(series=series, nominal_date=nominal, scheduled_at=when)
            taken_days.add(day)
            created += 1
        elif meeting.status == MeetingStatus.CANCELLED and meeting.published_at is None:
            if day in taken_days:
                continue
            meeting.status, meeting.scheduled_at = MeetingStatus.SCHEDULED, when  # wanted again
            meeting.save(update_fields=["status", "scheduled_at"])
            taken_days.add(day)
            changes.append(MeetingChange(meeting, None, when))
        elif live and meeting.scheduled_at != when:
            old = meeting.scheduled_at
            meeting.scheduled_at = when
            meeting.save(update_fields=["scheduled_at"])
            changes.append(MeetingChange(meeting, old, when))
    return created


def generate_all(*, today: dt.date | None = None, changes: list[MeetingChange] | None = None) -> int:
    """Every active series (one calendar for all of them)."""
    start = (today or timezone.now().date()) - dt.timedelta(days=7)
    calendar = working_calendar(start=start, end=start + dt.timedelta(weeks=HORIZON_WEEKS + 10))
    return sum(
        series_generate_meetings(s, today=today, calendar=calendar, changes=changes)
        for s in ReviewSeries.objects.filter(active=True).select_related("campaign", "chair")
    )


def reschedule_after_calendar_change(*, today: dt.date | None = None) -> list[MeetingChange]:
    """The working calendar changed: every active series is generated again (its future meetings move, are
    skipped or come back as their holiday policy says) and each chair hears of each change to a meeting."""
    from core.services.notifications import NotificationRequest, notify_many
    from teams.chat import chat_announce

    from . import notices

    changes: list[MeetingChange] = []
    with transaction.atomic():
        generate_all(today=today, changes=changes)
        requests = []
        for change in changes:
            series = change.meeting.series
            zone = zoneinfo.ZoneInfo(series.timezone)
            local = {
                name: value.astimezone(zone).replace(tzinfo=None)
                for name, value in (("old", change.old), ("new", change.new))
                if value is not None
            }
            message = (
                notices.MEETING_MOVED
                if change.old and change.new
                else notices.MEETING_SKIPPED
                if change.new is None
                else notices.MEETING_BACK
            )
            chat_announce(
                team_id=series.campaign.team_id,
                message=message,
                params={"series": notices.series_words(series), **local},
                url=f"/reviews/meetings/{change.meeting.pk}/",
                event=f"meeting:{change.meeting.pk}:calendar:{change.old}:{change.new}",
            )
            requests.append(
                NotificationRequest(
                    recipient=series.chair,
                    message=message,
                    params={"series": notices.series_words(series), **local},
                    url=f"/reviews/meetings/{change.meeting.pk}/",
                    obj=change.meeting,
                )
            )
        notify_many(requests)
    return changes
