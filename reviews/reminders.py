"""Meeting reminders (SPEC 7, Contract behaviour): each participant gets one ``meeting_reminder`` per meeting
when it enters its reminder window, and one ``status_update_reminder`` two hours before if they have not
filed a status update — exactly once per (meeting, user, kind).

The guarantee is the unique constraint on ReminderSent: each run inserts the pairs it owes with conflicts
ignored, tagged with its own run id, and notifies exactly the rows that carry that id — in the same
transaction. Two runs at once, beat firing twice, or a worker dying before commit (the broker redelivers,
``acks_late``) can therefore neither skip nor repeat a reminder. Set-based: a fixed number of statements
whatever the number of participants.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.services.notifications import NotificationRow, notify_rows

from . import notices
from .models import Meeting, MeetingStatus, ReminderKind, ReminderSent, ReviewSeries, StatusUpdate

STATUS_UPDATE_HOURS = 2
MESSAGES = {ReminderKind.MEETING: notices.MEETING_REMINDER, ReminderKind.STATUS_UPDATE: notices.STATUS_UPDATE_REMINDER}


def _due_pairs(kind: str, now: dt.datetime):
    """(meeting id, user id) pairs owed a reminder of ``kind`` at ``now`` (one query, joined once)."""
    upcoming = Q(status=MeetingStatus.SCHEDULED, series__active=True, scheduled_at__gt=now)
    if kind == ReminderKind.MEETING:
        # The window opens reminder_lead_hours before the meeting; one condition per distinct lead time.
        window = Q(pk__in=[])
        for hours in (
            ReviewSeries.objects.filter(active=True).order_by().values_list("reminder_lead_hours", flat=True).distinct()
        ):
            window |= Q(series__reminder_lead_hours=hours, scheduled_at__lte=now + dt.timedelta(hours=hours))
        meetings = Meeting.objects.filter(upcoming & window)
        return meetings.values_list("pk", "series__participants")
    meetings = Meeting.objects.filter(upcoming, scheduled_at__lte=now + dt.timedelta(hours=STATUS_UPDATE_HOURS))
    filed = StatusUpdate.objects.filter(meeting_id=OuterRef("pk"), user_id=OuterRef("series__participants"))
    return meetings.filter(~Exists(filed)).values_list("pk", "series__participants")


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    sent: dict[str, int] = {}
    for kind in (ReminderKind.MEETING, ReminderKind.STATUS_UPDATE):
        run = uuid.uuid4()
        with transaction.atomic():
            select_sql, params = _due_pairs(kind, now).query.sql_with_params()
            table = ReminderSent._meta.db_table
            run_value = run.hex if connection.vendor != "postgresql" else str(run)
            with connection.cursor() as cursor:
                # The constraint decides who is owed a reminder; conflicting rows belong to earlier runs.
                cursor.execute(
                    f"INSERT INTO {table} (meeting_id, user_id, kind, run, sent_at) "  # noqa: S608 - fixed names
                    f"SELECT sub.*, %s, %s, %s FROM ({select_sql}) AS sub WHERE true ON CONFLICT DO NOTHING",
                    [kind, run_value, now, *params],  # the outer placeholders come first in the text
                )
            mine = (
                ReminderSent.objects.filter(run=run, kind=kind)
                .select_related("meeting__series__campaign", "user")
                .only("meeting__scheduled_at", "meeting__series__title", "meeting__series__kind",
                      "meeting__series__timezone", "meeting__series__campaign__code", "user__language", "user__is_active")
            )  # fmt: skip
            rows = []
            for reminder in mine:
                if not reminder.user.is_active:
                    continue
                series = reminder.meeting.series
                local = reminder.meeting.scheduled_at.astimezone(zoneinfo.ZoneInfo(series.timezone))
                rows.append(
                    NotificationRow(
                        recipient_id=reminder.user_id,
                        language=reminder.user.language,
                        message=MESSAGES[kind],
                        params={"series": notices.series_words(series),
                                "when": local.replace(tzinfo=None)},  # written in the reader's format
                        url=f"/reviews/meetings/{reminder.meeting_id}/",
                        object_type="reviews.meeting",
                        object_id=reminder.meeting_id,
                    )
                )  # fmt: skip
            sent[kind] = notify_rows(rows)
    return sent
