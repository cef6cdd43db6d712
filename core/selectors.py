"""Kernel reads: the user's notifications, and the working calendar's entries and packaged days."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import translation

from core import pagecache
from core.models import CalendarDay, Notification


def notification_list(*, user: Any, unread_only: bool = False, pending_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first; ``pending_only`` leaves out resolved ones (SPEC 10.4)."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if pending_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


def notification_unread_count(*, user: Any) -> int:
    """How many unread notifications the user has (one COUNT)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    with pagecache.reading_own("core_notification", user.pk):  # a cached page depends on this user's notices only
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def calendar_entries(year: int) -> QuerySet[CalendarDay]:
    """The working calendar's entries of ``year``, in date order, with who changed them."""
    return CalendarDay.objects.filter(date__year=year).select_related("updated_by").order_by("date")


def packaged_days(year: int) -> list[dict[str, object]]:
    """The packaged statutory calendar's holidays (weekdays off) and make-up working days of ``year``, each
    named in the active language; empty for a year the package does not cover."""
    from chinese_calendar.constants import Holiday, holidays, workdays

    chinese = (translation.get_language() or "").startswith("zh")
    names = {holiday.value: holiday.chinese for holiday in Holiday}
    days = [
        {"date": day, "kind": "holiday", "name": names.get(name, name) if chinese else name}
        for day, name in holidays.items()
        if day.year == year and day.weekday() < 5
    ]
    days += [
        {"date": day, "kind": "workday", "name": names.get(name, name) if chinese else name}
        for day, name in workdays.items()
        if day.year == year
    ]
    return sorted(days, key=lambda d: d["date"])
