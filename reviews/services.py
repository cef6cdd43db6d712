"""Writes on review series, meetings, agendas, minutes, action items and retrospectives (SPEC 7): each checks who
may write, runs in a transaction and leaves an audit entry where the SPEC asks for one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Task
from campaigns.permissions import campaign_policy
from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import Access
from core.services.audit import audit_record
from core.services.notifications import notify
from teams.chat import chat_announce
from teams.models import User

from . import notices
from .agenda import agenda_build, agenda_item
from .models import (
    ActionItem,
    AgendaNote,
    Meeting,
    MeetingStatus,
    Retrospective,
    ReviewKind,
    ReviewSeries,
    StatusUpdate,
)
from .notices import meeting_words
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


# --- Meetings: opening, agenda, attendance, minutes, action items, retrospective ----------------------------


@transaction.atomic
def meeting_open(*, meeting: Meeting, actor: User) -> Meeting:
    """Build the agenda now (the chair's own items and items with notes are kept); only the chair or the campaign's
    lead opens it, and only until the minutes are published."""
    meeting = Meeting.objects.select_for_update().select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    _require_unpublished(meeting)  # the published minutes are read item by item from this agenda
    built = agenda_build(meeting)
    built_keys = {item["key"] for item in built}
    noted = set(meeting.agenda_notes.values_list("item_key", flat=True))
    # The chair's own items stay, and so does any item that has notes or a decision, even if it is no longer
    # in the campaign's live state (its minutes must not vanish).
    own = [
        item
        for item in meeting.agenda
        if item["key"] not in built_keys and (item.get("kind") == "chair" or item["key"] in noted)
    ]
    meeting.agenda = built + own
    meeting.save(update_fields=["agenda"])
    return meeting


def meeting_require_chair(meeting: Meeting, actor: User) -> None:
    """Only the meeting's chair or the campaign's lead runs it (services call this; the API calls it before it
    validates a body, so a read-only user is told 403, not about the shape of what they sent)."""
    if actor.pk not in (meeting.series.chair_id, meeting.series.campaign.lead_id):
        raise NotAllowed(_("Only the chair or the campaign lead runs the meeting."))


def _require_unpublished(meeting: Meeting) -> None:
    if meeting.published_at is not None:
        raise Conflict(_("These minutes were published already."))


def _lock_for_chair(meeting: Meeting, actor: User) -> Meeting:
    """The meeting, locked, after checking that the actor runs it and its minutes are still open."""
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    _require_unpublished(meeting)
    return meeting


@transaction.atomic
def agenda_move_item(*, meeting: Meeting, actor: User, key: str, offset: int) -> Meeting:
    """Move one agenda item up (``offset`` −1) or down (+1); at either end it stays where it is."""
    meeting = _lock_for_chair(meeting, actor)
    keys = [item["key"] for item in meeting.agenda]
    if key not in keys:
        raise ApplicationError(errors={"key": _("This meeting has no such agenda item.")})
    if offset not in (-1, 1):
        raise ApplicationError(errors={"direction": _("Move an item up or down.")})
    here = keys.index(key)
    there = here + offset
    if 0 <= there < len(keys):
        agenda = list(meeting.agenda)
        agenda[here], agenda[there] = agenda[there], agenda[here]
        meeting.agenda = agenda
        meeting.save(update_fields=["agenda"])
    return meeting


NOTE_MAX_CHARS = 10000


@transaction.atomic
def agenda_note_save(*, meeting: Meeting, actor: User, key: str, notes: str = "", decision: str = "") -> AgendaNote:
    """The chair's notes and decision on one agenda item, saved as the meeting goes (replacing earlier ones)."""
    meeting = _lock_for_chair(meeting, actor)
    if key not in {item["key"] for item in meeting.agenda}:
        raise ApplicationError(errors={"key": _("This meeting has no such agenda item.")})
    errors = {
        field: _("At most %(n)d characters.") % {"n": NOTE_MAX_CHARS}
        for field, value in (("notes", notes), ("decision", decision))
        if len(value) > NOTE_MAX_CHARS
    }
    if errors:
        raise ApplicationError(errors=errors)
    note, _created = AgendaNote.objects.update_or_create(
        meeting=meeting, item_key=key, defaults={"notes": notes.strip(), "decision": decision.strip()}
    )
    return note


@transaction.atomic
def attendance_record(*, meeting: Meeting, actor: User, attendees: list[User]) -> Meeting:
    """Who attended: the chair and the series' participants only; replaces the earlier record."""
    meeting = _lock_for_chair(meeting, actor)
    series = meeting.series
    allowed = set(series.participants.values_list("pk", flat=True)) | {series.chair_id}
    strangers = sorted({user.pk for user in attendees if user.pk not in allowed})
    if strangers:
        raise ApplicationError(
            errors={
                "attendees": [_("User %(id)s is not a participant of this meeting.") % {"id": pk} for pk in strangers]
            }
        )
    meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def minutes_draft_save(*, meeting: Meeting, actor: User, minutes: str) -> Meeting:
    """Keep the chair's draft of the general minutes between standup-mode steps; nobody is told yet."""
    meeting = _lock_for_chair(meeting, actor)
    meeting.minutes = minutes
    meeting.save(update_fields=["minutes"])
    return meeting


@transaction.atomic
def agenda_add_item(*, meeting: Meeting, actor: User, title: str) -> dict[str, Any]:
    """Add the chair's own item at the end of the agenda (the chair or the campaign's lead, until the minutes are
    published)."""
    meeting = Meeting.objects.select_for_update().select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    _require_unpublished(meeting)
    if not title.strip():
        raise ApplicationError(errors={"title": _("Give the item a title.")})
    item = agenda_item("chair", title.strip()[:200])
    meeting.agenda = [*meeting.agenda, item]
    meeting.save(update_fields=["agenda"])
    return item


@transaction.atomic
def agenda_reorder(*, meeting: Meeting, actor: User, keys: list[str]) -> Meeting:
    """Put the agenda in the given order of item keys (the chair or the campaign's lead, until the minutes are
    published)."""
    meeting = Meeting.objects.select_for_update().select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    _require_unpublished(meeting)
    by_key = {item["key"]: item for item in meeting.agenda}
    if sorted(keys) != sorted(by_key):
        raise ApplicationError(errors={"order": _("Give every agenda item exactly once.")})
    meeting.agenda = [by_key[k] for k in keys]
    meeting.save(update_fields=["agenda"])
    return meeting


@transaction.atomic
def action_item_create(
    *, meeting: Meeting, actor: User, title: str, owner: User, due_date: dt.date | None = None
) -> ActionItem:
    """An action item for someone on the campaign's team; they are notified (``action_item_assigned``)."""
    meeting = Meeting.objects.select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    if not title.strip():
        raise ApplicationError(errors={"title": _("Say what is to be done.")})
    if not meeting.series.campaign.team.memberships.filter(user=owner).exclude(role="viewer").exists():
        raise ApplicationError(
            errors={"owner": _("The owner must be a lead, deputy or member of the campaign's team.")}
        )
    action = ActionItem.objects.create(meeting=meeting, title=title.strip()[:200], owner=owner, due_date=due_date)
    notify(recipients=[owner], message=notices.ACTION_ITEM_ASSIGNED,
           params={"meeting": meeting_words(meeting), "title": action.title},
           url=f"/reviews/meetings/{meeting.pk}/", obj=action)  # fmt: skip
    return action


@transaction.atomic
def minutes_publish(*, meeting: Meeting, actor: User, minutes: str) -> Meeting:
    """Publish the minutes (會議紀要) once: the meeting is held; participants, the campaign lead and the heads
    of the participating departments are notified; a second publish is a conflict."""
    meeting = Meeting.objects.select_for_update().select_related("series__campaign__lead").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    if meeting.published_at is not None:
        raise Conflict(_("These minutes were published already."))
    if meeting.scheduled_at > timezone.now():
        raise Conflict(_("The meeting has not started yet; publish its minutes once it has been held."))
    if not minutes.strip() and not meeting.agenda_notes.exclude(notes="", decision="").exists():
        raise ApplicationError(errors={"minutes": _("Write the minutes before publishing them.")})
    meeting.minutes, meeting.published_at, meeting.status = minutes, timezone.now(), MeetingStatus.HELD
    meeting.save(update_fields=["minutes", "published_at", "status"])
    audit_record(actor=actor, action="reviews.minutes_published", obj=meeting, after={"chars": len(minutes)})
    campaign = meeting.series.campaign
    heads = User.objects.filter(headed_departments__in=campaign.departments.all())
    recipients = [*meeting.series.participants.all(), campaign.lead, *heads]
    chat_announce(team_id=campaign.team_id, message=notices.MINUTES_PUBLISHED, params={"meeting": meeting_words(meeting)},
                  url=f"/reviews/meetings/{meeting.pk}/", event=f"meeting:{meeting.pk}:minutes")  # fmt: skip
    notify(recipients=recipients, message=notices.MINUTES_PUBLISHED, params={"meeting": meeting_words(meeting)},
           url=f"/reviews/meetings/{meeting.pk}/", obj=meeting)  # fmt: skip
    return meeting


RETRO_SCORES = ("goal_score", "efficiency_score", "innovation_score", "improvement_score")


@transaction.atomic
def retrospective_save(
    *, meeting: Meeting, actor: User, improvements: list[dict[str, Any]] | None = None, **fields: Any
) -> Retrospective:
    """Score and comment the four dimensions and write the report; each improvement becomes an action item.
    Retrospective meetings only; the chair or the campaign lead writes it."""
    from .models import Retrospective

    meeting = Meeting.objects.select_related("series__campaign").get(pk=meeting.pk)
    meeting_require_chair(meeting, actor)
    if meeting.series.kind != ReviewKind.RETROSPECTIVE:
        raise Conflict(_("Only a retrospective meeting has a retrospective report."))
    if meeting.published_at is not None:
        raise Conflict(_("This retrospective was published with the minutes and can no longer be changed."))
    errors = {}
    for field in RETRO_SCORES:
        try:
            value = int(fields.get(field))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[field] = _("Score from 1 (poor) to 5 (excellent).")
        fields[field] = value
    if errors:
        raise ApplicationError(errors=errors)
    retro, _created = Retrospective.objects.update_or_create(meeting=meeting, defaults=fields)
    for improvement in improvements or []:
        action_item_create(meeting=meeting, actor=actor, title=improvement.get("title", ""), owner=improvement["owner"],
                           due_date=improvement.get("due_date"))  # fmt: skip
    audit_record(actor=actor, action="reviews.retrospective_saved", obj=meeting,
                 after={f: fields[f] for f in RETRO_SCORES})  # fmt: skip
    return retro


@transaction.atomic
def action_item_to_task(*, action: ActionItem, actor: User) -> Task:
    """Turn an action item into a campaign task (same title, owner and due date), once."""
    from campaigns.services import task_save

    action = ActionItem.objects.select_for_update().select_related("meeting__series__campaign").get(pk=action.pk)
    if action.task_id:
        raise Conflict(_("This action item is a task already."))
    campaign = action.meeting.series.campaign
    today = timezone.localdate()
    due = action.due_date or today
    task = task_save(campaign=campaign, actor=actor, title=action.title[:200], owner=action.owner,
                     start_date=min(today, due), due_date=due)  # fmt: skip
    action.task = task
    action.save(update_fields=["task"])
    return task
