"""The personal calendar feed (SPEC 10.3): an ICS URL people subscribe to from Outlook, Apple Calendar or the
Feishu/DingTalk calendars, which fetch it without logging in.

The secret in the URL is a signature (django.core.signing, keyed by SECRET_KEY) of the user's id and the feed's
version; ``calendar_feed_reset`` bumps the version, so every earlier URL answers 404. The calendar itself is
written by the icalendar library (RFC 5545): a VEVENT per meeting the user takes part in or chairs (stable UID,
times in the series' time zone with its VTIMEZONE, cancelled meetings ``STATUS:CANCELLED``), and all-day events
for the milestones of the campaigns of the user's teams and the due dates of the user's open tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from campaigns.models import CampaignStatus, Milestone
from campaigns.selectors import my_open_tasks, visible_parts
from core.permissions import principal_for
from reviews.models import MeetingStatus, ReviewKind
from reviews.selectors import my_meetings_between
from teams.models import User

from .models import CalendarFeed

SALT = "concord.calendar-feed"
PAST = dt.timedelta(days=60)  # meetings this far back stay in the feed (held or cancelled)
AHEAD = dt.timedelta(days=400)
MEETING_LENGTH = {ReviewKind.STANDUP: dt.timedelta(minutes=30), ReviewKind.RETROSPECTIVE: dt.timedelta(minutes=60)}
UID_DOMAIN = "concord"


def _feed(user: Any) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def calendar_feed_path(*, user: Any) -> str:
    """The feed's path (site-relative) for the user, made on first use."""
    # No timestamp in it (signing.dumps would add one): the address is the same on every visit until a reset.
    token = signing.Signer(salt=SALT).sign_object({"u": user.pk, "v": _feed(user).version}, compress=True)
    return reverse("calendar_feed", args=[token])


def calendar_feed_url(*, user: Any, request: Any = None) -> str:
    """The feed's absolute URL, on the site's address (``SITE_URL``) or the request's."""
    path = calendar_feed_path(user=user)
    if request is not None:
        return request.build_absolute_uri(path)
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


@transaction.atomic
def calendar_feed_reset(*, user: Any) -> CalendarFeed:
    """A new secret: the version goes up, every earlier URL stops working."""
    feed = _feed(user)
    CalendarFeed.objects.filter(pk=feed.pk).update(version=F("version") + 1, reset_at=timezone.now())
    feed.refresh_from_db()
    return feed


def user_for_feed_token(token: str) -> User | None:
    """The active user whose current feed ``token`` is, else None (forged, old version, or inactive user)."""
    try:
        if token.count(":") == 2:  # value:timestamp:signature, as addresses were given out before
            data = signing.loads(token, salt=SALT)
        else:
            data = signing.Signer(salt=SALT).unsign_object(token)
        user_id, version = int(data["u"]), int(data["v"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    feed = CalendarFeed.objects.select_related("user").filter(user_id=user_id, version=version).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def calendar_ics(*, user: Any, base_url: str, now: dt.datetime | None = None) -> bytes:
    """The user's calendar as RFC 5545 text (three queries)."""
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//Concord//Campaign calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Concord: %(name)s") % {"name": str(user)})
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = now.astimezone(dt.UTC)

    for meeting in my_meetings_between(user=user, start=now - PAST, end=now + AHEAD):
        series = meeting.series
        zone = ZoneInfo(series.timezone or "Asia/Shanghai")
        start = meeting.scheduled_at.astimezone(zone)
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + MEETING_LENGTH.get(series.kind, dt.timedelta(minutes=30)))
        event.add("summary", str(series))  # the series' name carries its campaign's code
        url = base_url + reverse("reviews:meeting", args=[meeting.pk])
        event.add("url", url)
        event.add("description", _("Agenda and status updates: %(url)s") % {"url": url})
        event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
        cal.add_component(event)

    # Milestones of the campaigns of the user's teams, drafts included (they are being planned), not closed ones.
    teams = list(principal_for(user).team_roles)
    milestones = (
        visible_parts(Milestone, user=user)
        .filter(campaign__team_id__in=teams)
        .exclude(campaign__status__in=[CampaignStatus.CLOSED, CampaignStatus.CANCELLED])
        .select_related("campaign")
        .order_by("due_date", "pk")
    )
    for milestone in milestones:
        event = Event()
        event.add("uid", f"milestone-{milestone.pk}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", milestone.due_date)
        event.add("dtend", milestone.due_date + dt.timedelta(days=1))
        event.add(
            "summary", _("Milestone: %(name)s · %(code)s") % {"name": milestone.name, "code": milestone.campaign.code}
        )
        event.add("url", base_url + reverse("campaigns:plan", args=[milestone.campaign_id]))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)

    for task in my_open_tasks(user=user):
        event = Event()
        event.add("uid", f"task-{task.pk}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + dt.timedelta(days=1))
        event.add("summary", _("Due: %(title)s · %(code)s") % {"title": task.title, "code": task.campaign.code})
        event.add("url", base_url + reverse("campaigns:task_detail", args=[task.campaign_id, task.pk]))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)

    cal.add_missing_timezones()  # a VTIMEZONE for each TZID used (icalendar 6+)
    return cal.to_ical()
