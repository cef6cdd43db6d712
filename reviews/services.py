from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.permissions import campaign_policy
from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import Access
from teams.models import User

from .models import Meeting, MeetingStatus, ReviewKind, ReviewSeries, StatusUpdate
from .schedule import series_generate_meetings


@transaction.atomic
def series_save(*, campaign: Campaign, actor: User, participants: list[User], series: ReviewSeries | None = None,
                **fields: Any) -> ReviewSeries:  # fmt: skip
    """Create or change a series (team members); the meetings of the coming weeks exist when this returns."""
    if campaign_policy.require(actor, campaign, Access.READ) < Access.WRITE:
        raise NotAllowed(_("Your role in this campaign is read-only."))
    series = series or ReviewSeries(campaign=campaign)
    if series.pk is None and "interval_weeks" not in fields:
        fields["interval_weeks"] = 2 if fields.get("kind") == ReviewKind.RETROSPECTIVE else 1
    for key, value in fields.items():
        setattr(series, key, value)
    if not 0 <= int(series.weekday) <= 6:
        raise ApplicationError(errors={"weekday": _("0 is Monday, 6 is Sunday.")})
    if not 1 <= int(series.interval_weeks) <= 12:
        raise ApplicationError(errors={"interval_weeks": _("Meet every 1 to 12 weeks.")})
    if series.starts_on is None:
        series.starts_on = dt.date.today()
    series.full_clean(exclude=["participants", "chair", "campaign"])
    series.save()
    series.participants.set(participants)
    series_generate_meetings(series)
    return series


@transaction.atomic
def status_update_file(
    *, meeting: Meeting, user: User, done: str = "", next: str = "", blockers: str = ""
) -> StatusUpdate:  # noqa: A002
    """A participant (or the chair) files or replaces their own done / next / blockers while the meeting is ahead."""
    meeting = Meeting.objects.select_for_update().select_related("series").get(pk=meeting.pk)
    series = meeting.series
    if user.pk != series.chair_id and not series.participants.filter(pk=user.pk).exists():
        raise NotAllowed(_("Only the meeting's participants file status updates."))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(_("This meeting is over; status updates are closed."))
    update, _created = StatusUpdate.objects.update_or_create(
        meeting=meeting, user=user, defaults={"done": done, "next": next, "blockers": blockers}
    )
    return update
