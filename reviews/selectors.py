"""Read-side queries over reviews for other pages (home, campaign overview): each returns only what the user may
see (reviews.permissions), in one query whatever the number of meetings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from .models import ActionItem, Meeting, MeetingStatus, ReviewKind, ReviewSeries, StatusUpdate
from .permissions import action_item_policy, meeting_policy

# Meetings this close ahead with no status update from the user count as "missing" on the home page.
STATUS_UPDATE_WINDOW = dt.timedelta(days=7)


def _upcoming(now: dt.datetime) -> Q:
    return Q(status=MeetingStatus.SCHEDULED, series__active=True, scheduled_at__gte=now)


def _mine(user: Any) -> Q:
    """Meetings of series the user takes part in or chairs."""
    return Q(series__chair_id=user.pk) | Q(series__in=ReviewSeries.objects.filter(participants=user.pk).values("pk"))


def my_upcoming_meetings(*, user: Any, now: dt.datetime) -> QuerySet[Meeting]:
    """The user's next scheduled meetings (series they take part in or chair), soonest first, each marked with
    ``filed`` (whether the user has filed a status update for it)."""
    filed = StatusUpdate.objects.filter(meeting_id=OuterRef("pk"), user_id=user.pk)
    meetings = Meeting.objects.filter(_upcoming(now) & _mine(user))
    return (
        meeting_policy.visible(user, meetings)
        .select_related("series__campaign")
        .annotate(filed=Exists(filed))
        .order_by("scheduled_at", "pk")
    )


def my_meetings_between(*, user: Any, start: dt.datetime, end: dt.datetime) -> QuerySet[Meeting]:
    """Every meeting of the user's series (taking part or chairing) scheduled in ``[start, end)`` — held and
    cancelled ones too, for the calendar feed — with its series and campaign."""
    meetings = Meeting.objects.filter(_mine(user), scheduled_at__gte=start, scheduled_at__lt=end)
    return meeting_policy.visible(user, meetings).select_related("series__campaign").order_by("scheduled_at", "pk")


def my_missing_status_updates(*, user: Any, now: dt.datetime) -> QuerySet[Meeting]:
    """Meetings in the next seven days where the user is a participant and has not filed a status update."""
    filed = StatusUpdate.objects.filter(meeting_id=OuterRef("pk"), user_id=user.pk)
    meetings = Meeting.objects.filter(
        _upcoming(now),
        scheduled_at__lte=now + STATUS_UPDATE_WINDOW,
        series__in=ReviewSeries.objects.filter(participants=user.pk).values("pk"),
    ).exclude(Exists(filed))
    return meeting_policy.visible(user, meetings).select_related("series__campaign").order_by("scheduled_at", "pk")


def my_action_items(*, user: Any) -> QuerySet[ActionItem]:
    """Open action items the user owns, in meetings they may see; dated ones first, the oldest due first."""
    items = ActionItem.objects.filter(owner_id=user.pk, done=False)
    return (
        action_item_policy.visible(user, items)
        .select_related("meeting__series__campaign", "task")
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def campaign_next_standup(*, campaign: Any, now: dt.datetime) -> Meeting | None:
    """The campaign's next scheduled standup with how many status updates are filed (one query)."""
    return (
        Meeting.objects.filter(_upcoming(now), series__campaign=campaign, series__kind=ReviewKind.STANDUP)
        .select_related("series")
        .annotate(filed_count=Count("status_updates"))
        .order_by("scheduled_at", "pk")
        .first()
    )


def agenda_with_notes(meeting: Meeting) -> list[dict[str, Any]]:
    """The agenda in the chair's order, each item with its ``notes`` and ``decision`` ("" when none yet).

    Reads ``meeting.agenda_notes.all()``, so a prefetch of ``agenda_notes`` makes it query-free."""
    notes = {note.item_key: note for note in meeting.agenda_notes.all()}
    items = []
    for item in meeting.agenda:
        note = notes.get(item["key"])
        items.append({**item, "notes": note.notes if note else "", "decision": note.decision if note else ""})
    return items
