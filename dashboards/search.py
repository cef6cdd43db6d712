"""One search box over campaigns, tasks, milestones, risks, meetings and comments (SPEC 10.3).

Only what the user may read: every kind is scoped by its app's policy before it is matched. The match is a
case-insensitive substring (``icontains``; see ``_matching`` for short queries without case), so two Chinese
characters of a title find it. On PostgreSQL the columns searched carry trigram indexes on ``UPPER(column)``
(migration campaigns 0008, risks and reviews alike), which ``icontains`` — ``UPPER(col) LIKE UPPER('%q%')`` —
uses; SQLite scans, which is fine at its sizes.
Each kind returns at most ``per_type`` rows, newest or soonest first: one query per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Milestone, Task, TaskComment
from campaigns.permissions import campaign_policy
from campaigns.selectors import visible_parts
from reviews.models import Meeting
from reviews.permissions import meeting_policy
from risks.models import Risk
from risks.permissions import risk_policy

MAX_QUERY_LENGTH = 100
PER_TYPE = 8
TYPES = {
    "campaign": _("Campaigns"),
    "task": _("Tasks"),
    "milestone": _("Milestones"),
    "risk": _("Risks"),
    "meeting": _("Meetings"),
    "comment": _("Comments"),
}


@dataclass(frozen=True)
class Result:
    """One hit: ``type`` (a key of TYPES), its id, a title, where it opens, and its campaign's code."""

    type: str
    id: int
    title: str
    url: str
    campaign: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "title": self.title, "url": self.url, "campaign": self.campaign}


def _snippet(text: str, q: str, width: int = 80) -> str:
    """The part of ``text`` around the first match of ``q``, on one line."""
    flat = " ".join(text.split())
    at = flat.lower().find(q.lower())
    start = max(0, at - width // 2) if at >= 0 else 0
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


def _matching(field: str, q: str) -> Q:
    """``field`` contains ``q``, ignoring case. A query of one or two characters none of which has a case (``客服``,
    ``20``) is matched as typed: ``UPPER(col) LIKE UPPER('%客服%')`` upper-cases every row's text first, three times
    the cost of a plain ``LIKE`` when the database scans, as it must for fewer than three characters (no trigram).
    From three characters on the upper-cased form is kept, so the trigram indexes can serve."""
    if len(q) < 3 and q.upper() == q == q.lower():
        return Q(**{f"{field}__contains": q})
    return Q(**{f"{field}__icontains": q})


def search(*, user: Any, q: str, per_type: int = PER_TYPE) -> list[Result]:
    """Results grouped by kind in TYPES order (six queries); an empty query finds nothing."""
    # Control characters match nothing people write (and PostgreSQL refuses NUL in a string): dropped.
    q = "".join(ch for ch in (q or "") if ch.isprintable() or ch == " ").strip()[:MAX_QUERY_LENGTH]
    if not q:
        return []
    results: list[Result] = []
    campaigns = (
        campaign_policy.visible(user, Campaign.objects.all())
        .filter(_matching("name", q) | _matching("code", q))
        .order_by("-start_date", "pk")
        .only("id", "code", "name")[:per_type]
    )
    results += [Result("campaign", c.pk, c.name, reverse("campaigns:detail", args=[c.pk]), c.code) for c in campaigns]
    tasks = (
        visible_parts(Task, user=user)
        .filter(_matching("title", q))
        .select_related("campaign")
        .order_by("due_date", "pk")
        .only("id", "title", "campaign_id", "campaign__code")[:per_type]
    )
    results += [
        Result("task", t.pk, t.title, reverse("campaigns:task_detail", args=[t.campaign_id, t.pk]), t.campaign.code)
        for t in tasks
    ]
    milestones = (
        visible_parts(Milestone, user=user)
        .filter(_matching("name", q))
        .select_related("campaign")
        .order_by("due_date", "pk")
        .only("id", "name", "campaign_id", "campaign__code")[:per_type]
    )
    results += [
        Result("milestone", m.pk, m.name, reverse("campaigns:plan", args=[m.campaign_id]), m.campaign.code)
        for m in milestones
    ]
    risks = (
        risk_policy.visible(user, Risk.objects.all())
        .filter(_matching("title", q))
        .select_related("campaign")
        .order_by("-updated_at", "pk")
        .only("id", "title", "campaign__code")[:per_type]
    )
    results += [Result("risk", r.pk, r.title, reverse("risks:detail", args=[r.pk]), r.campaign.code) for r in risks]
    # A series has a meeting a week: show each matching series once, by its latest meeting.
    meetings, seen = [], set()
    for meeting in (
        meeting_policy.visible(user, Meeting.objects.all())
        .filter(_matching("series__title", q))
        .select_related("series__campaign")
        .order_by("-scheduled_at", "pk")[: per_type * 6]
    ):
        if meeting.series_id not in seen and len(meetings) < per_type:
            seen.add(meeting.series_id)
            meetings.append(meeting)
    results += [
        Result(
            "meeting",
            m.pk,
            str(m.series),
            reverse("reviews:meeting", args=[m.pk]),
            m.series.campaign.code,
            detail=str(m.scheduled_at.date()),
        )  # fmt: skip
        for m in meetings
    ]
    comments = (
        TaskComment.objects.filter(_matching("body", q), task__in=visible_parts(Task, user=user).values("pk"))
        .select_related("task__campaign", "author")
        .order_by("-created_at", "-pk")[:per_type]
    )
    results += [
        Result(
            "comment",
            c.pk,
            c.task.title,
            reverse("campaigns:task_detail", args=[c.task.campaign_id, c.task_id]) + f"#comment-{c.pk}",
            c.task.campaign.code,
            detail=f"{c.author}: {_snippet(c.body, q)}",
        )
        for c in comments
    ]
    return results
