"""The reviews app's notification messages (SPEC 10.4: stored as key + parameters, written when read)."""

import zoneinfo
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.messages import Words, message
from core.models import NotificationVerb

from .models import ReviewKind

MEETING_REMINDER = message(
    "reviews.meeting_reminder",
    NotificationVerb.MEETING_REMINDER,
    _("Reminder: %(series)s on %(when)s."),
    when="datetime",
)
STATUS_UPDATE_REMINDER = message(
    "reviews.status_update_reminder",
    NotificationVerb.STATUS_UPDATE_REMINDER,
    _("Please file your status update (done / next / blockers) for %(series)s at %(when)s."),
    when="datetime",
)
ACTION_ITEM_ASSIGNED = message(
    "reviews.action_item_assigned",
    NotificationVerb.ACTION_ITEM_ASSIGNED,
    _("Action item from %(meeting)s: %(title)s"),
)
MINUTES_PUBLISHED = message(
    "reviews.minutes_published", NotificationVerb.MINUTES_PUBLISHED, _("Minutes of %(meeting)s are published.")
)


def series_words(series: Any) -> Any:
    """A series as notices name it: its title, or its campaign's code and its kind (``WD-2027 周例会``)."""
    return series.title or Words(series.campaign.code, ReviewKind(series.kind).label)


def meeting_words(meeting: Any) -> Words:
    """A meeting as notices name it: its series and its local date and time, in the reader's language."""
    local = meeting.scheduled_at.astimezone(zoneinfo.ZoneInfo(meeting.series.timezone)).replace(tzinfo=None)
    return Words(series_words(meeting.series), local)


MEETING_MOVED = message(
    "reviews.meeting_moved",
    NotificationVerb.MEETING_MOVED,
    _("The working calendar changed: %(series)s moves from %(old)s to %(new)s."),
    old="datetime",
    new="datetime",
)
MEETING_SKIPPED = message(
    "reviews.meeting_skipped",
    NotificationVerb.MEETING_MOVED,
    _("The working calendar changed: %(series)s on %(old)s is skipped, the day is now a day off."),
    old="datetime",
)
MEETING_BACK = message(
    "reviews.meeting_back",
    NotificationVerb.MEETING_MOVED,
    _("The working calendar changed: %(series)s takes place on %(new)s again."),
    new="datetime",
)
