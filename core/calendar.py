"""The Chinese working calendar (SPEC 10.4): the packaged statutory holidays and make-up working days
(chinese-calendar), overridden by the entries of the ``CalendarDay`` table; for a year neither knows, weekends
only — and admins are warned on their home page (``year_known``).

Every "is this a working day" in Concord goes through this module. A loop over many days takes one
:class:`WorkingCalendar` (one query for its entries) and asks it."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.dispatch import Signal

# Sent after a change of entries is committed, with ``dates`` (the days whose kind changed): the reviews app
# moves the affected future meetings (core never imports the apps that depend on it).
calendar_changed = Signal()


def packaged_is_working_day(day: dt.date) -> bool | None:
    """What the packaged statutory calendar says, or None for a year it does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def packaged_knows(year: int) -> bool:
    return packaged_is_working_day(dt.date(year, 1, 1)) is not None


class WorkingCalendar:
    """Working days from the entries (loaded once) and the packaged calendar."""

    def __init__(self, entries: dict[dt.date, str]) -> None:
        self.entries = entries

    def is_working_day(self, day: dt.date) -> bool:
        kind = self.entries.get(day)
        if kind is not None:
            return kind == "workday"
        packaged = packaged_is_working_day(day)
        return packaged if packaged is not None else day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day


def working_calendar(*, start: dt.date | None = None, end: dt.date | None = None) -> WorkingCalendar:
    """The calendar with the entries between ``start`` and ``end`` (all entries when not given; the table holds
    a few dozen rows a year)."""
    from core.models import CalendarDay

    qs = CalendarDay.objects.all()
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    return WorkingCalendar(dict(qs.values_list("date", "kind")))


def is_working_day(day: dt.date) -> bool:
    return working_calendar(start=day, end=day).is_working_day(day)


def next_working_day(day: dt.date) -> dt.date:
    # The following 60 days' entries are loaded too: the walk crosses a holiday block and its weekends.
    return working_calendar(start=day, end=day + dt.timedelta(days=60)).next_working_day(day)


def year_known(year: int) -> bool:
    """True when the packaged calendar covers ``year`` or somebody entered days of it."""
    from core.models import CalendarDay

    return packaged_knows(year) or CalendarDay.objects.filter(date__year=year).exists()
