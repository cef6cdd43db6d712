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
            # Plain values, not model instances (twenty thousand rows), and each meeting's words made once.
            mine = list(
                ReminderSent.objects.filter(run=run, kind=kind, user__is_active=True)
                .order_by("meeting_id", "user_id")
                .values_list("meeting_id", "user_id", "user__language")
            )
            meetings = (
                Meeting.objects.filter(pk__in=ReminderSent.objects.filter(run=run, kind=kind).values("meeting_id"))
                .select_related("series__campaign")
                .only("scheduled_at", "series__title", "series__kind", "series__timezone", "series__campaign__code")
            )
            params = {
                meeting.pk: {
                    "series": notices.series_words(meeting.series),
                    "when": meeting.scheduled_at.astimezone(zoneinfo.ZoneInfo(meeting.series.timezone)).replace(
                        tzinfo=None
                    ),  # written in the reader's format
                }
                for meeting in meetings
            }
            rows = [
                NotificationRow(
                    recipient_id=user_id,
                    language=language,
                    message=MESSAGES[kind],
                    params=params[meeting_id],
                    url=f"/reviews/meetings/{meeting_id}/",
                    object_type="reviews.meeting",
                    object_id=meeting_id,
                )
                for meeting_id, user_id, language in mine
            ]
            sent[kind] = notify_rows(rows)
    return sent
