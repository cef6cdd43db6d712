"""The Chinese working calendar: statutory holidays and make-up working days (chinese-calendar);
for years the package does not know, weekends only."""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # outside the years the package covers
        return day.weekday() < 5


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day
