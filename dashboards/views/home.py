"""The "my work" home page (SPEC 8): one short list per app — each from that app's selector, limited to what the
user may see, one query per list reading only the columns shown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from budgets.selectors import signoff_queue
from campaigns import selectors as campaign_selectors
from campaigns.health import fresh_health, reason_texts
from core import pagecache
from core.calendar import year_known
from core.permissions import Access, principal_for
from core.selectors import notification_list
from reviews import selectors as review_selectors
from risks.selectors import risks_to_acknowledge
from teams.selectors import team_list

HOME_ROWS = 8
MEETINGS_SHOWN = 5
CAMPAIGNS_SHOWN = 6


def _first(queryset: QuerySet, limit: int) -> tuple[list[Any], bool]:
    """The first ``limit`` rows and whether there are more (one query, no COUNT)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


_SENTINEL = 10**18  # a positive integer no primary key on the home page reaches, to mark where arguments go


def _url_pattern(name: str, arity: int) -> str:
    """``reverse(name)`` once, as a format string with ``{0}``, ``{1}``... for its integer arguments, so a list
    builds its rows' links by formatting instead of one ``reverse()`` per row (the same URLs)."""
    args = [_SENTINEL + i for i in range(arity)]
    url = reverse(name, args=args).replace("{", "{{").replace("}", "}}")
    for i, arg in enumerate(args):
        url = url.replace(str(arg), f"{{{i}}}")
    return url


# Only the columns the home template reads: each list loads and converts a few fields instead of every column
# of the row and its select_related parents.
TASK_FIELDS = ("id", "campaign_id", "phase_id", "title", "due_date", "status", "progress")
TASK_FIELDS += ("campaign__id", "campaign__code", "campaign__time_zone", "campaign__team_id", "phase__id")
TASK_FIELDS += ("phase__name",)
SIGNOFF_FIELDS = ("id", "campaign_id", "version", "total", "submitted_at", "campaign__id", "campaign__code")
SIGNOFF_FIELDS += ("campaign__name",)
RISK_FIELDS = ("id", "campaign_id", "title", "expected_date", "alert_level", "campaign__id", "campaign__code")
SERIES_FIELDS = ("series__id", "series__campaign_id", "series__title", "series__kind", "series__campaign__id")
SERIES_FIELDS += ("series__campaign__code",)
CAMPAIGN_FIELDS = ("id", "code", "name", "status", "end_date", "health", "slip_days", "health_reasons")
MEETING_FIELDS = ("id", "series_id", "scheduled_at", "status", *SERIES_FIELDS)
ACTION_FIELDS = ("id", "meeting_id", "title", "due_date", "task_id", "task__id", "task__campaign_id")
ACTION_FIELDS += ("meeting__id", "meeting__series_id", *(f"meeting__{f}" for f in SERIES_FIELDS))


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """ "My work" (SPEC 8): my tasks (late first), budgets awaiting my sign-off, alerts on risks I own, my next
    meetings and the status updates I still owe, my action items, my live campaigns worst health first, my teams and unread notifications. Each list
    comes from its app's selector, limited to what the user may see; one query per list, reading only the
    columns shown, and each kind of link reversed once."""
    user = request.user
    now = timezone.now()
    principal = principal_for(user)
    task_url = _url_pattern("campaigns:task_detail", 2)
    task_update_url = _url_pattern("campaigns:task_update", 2)
    tasks, more_tasks = _first(campaign_selectors.my_open_tasks(user=user).only(*TASK_FIELDS), HOME_ROWS)
    todays: dict[str, Any] = {}
    for task in tasks:
        zone = task.campaign.time_zone
        if zone not in todays:
            todays[zone] = campaign_selectors.campaign_today(task.campaign)
        today = todays[zone]
        task.days_late = (today - task.due_date).days if task.is_late(today) else 0
        task.due_in = (task.due_date - today).days
        task.url = task_url.format(task.campaign_id, task.pk)
        # One tap to start or finish it (issue 18), for those who may write to the campaign (its team's
        # members; the same rule task_update applies). Read from the principal: no query per row.
        if principal.is_admin or principal.team_access(task.campaign.team_id) >= Access.WRITE:
            task.update_url = task_update_url.format(task.campaign_id, task.pk)
    signoffs, more_signoffs = _first(
        signoff_queue(user=user).select_related(None).select_related("campaign").only(*SIGNOFF_FIELDS), HOME_ROWS
    )
    risks, more_risks = _first(risks_to_acknowledge(user=user).only(*RISK_FIELDS), HOME_ROWS)
    risk_url = _url_pattern("risks:detail", 1)
    acknowledge_url = _url_pattern("risks:acknowledge", 1)
    for risk in risks:
        risk.url = risk_url.format(risk.pk)
        risk.acknowledge_url = acknowledge_url.format(risk.pk)  # the owner may always acknowledge their own
    meeting_url = _url_pattern("reviews:meeting", 1)
    meetings, _more = _first(
        review_selectors.my_upcoming_meetings(user=user, now=now).only(*MEETING_FIELDS), MEETINGS_SHOWN
    )
    missing, more_missing = _first(
        review_selectors.my_missing_status_updates(user=user, now=now).only(*MEETING_FIELDS), HOME_ROWS
    )
    for meeting in (*meetings, *missing):
        meeting.url = meeting_url.format(meeting.pk)
    actions, more_actions = _first(review_selectors.my_action_items(user=user).only(*ACTION_FIELDS), HOME_ROWS)
    for item in actions:
        item.url = task_url.format(item.task.campaign_id, item.task_id) if item.task_id else None
        item.meeting_url = meeting_url.format(item.meeting_id)
    live = campaign_selectors.my_live_campaigns(user=user)
    fresh_health(live, now=now)
    campaigns, more_campaigns = _first(live.only(*CAMPAIGN_FIELDS), CAMPAIGNS_SHOWN)
    overview_url = _url_pattern("campaigns:detail", 1)
    for campaign in campaigns:
        campaign.url = overview_url.format(campaign.pk)
        campaign.reasons = reason_texts(campaign.health_reasons, level=campaign.health)
    team_url = _url_pattern("teams:detail", 1)
    teams = list(team_list(user=user).filter(parent__isnull=True).select_related(None).only("id", "name")[:20])
    for team in teams:
        team.url = team_url.format(team.pk)
    # The first unread ones, each carrying how many are unread in all: the header's badge needs no COUNT query.
    unread = notification_list(user=user, unread_only=True, pending_only=True).annotate(
        unread_total=Window(Count("pk"))
    )
    with pagecache.reading_own("core_notification", user.pk):  # the page depends on this user's notices only
        notifications = list(unread[:5])
    # SPEC 10.4: admins are warned while next year's statutory holidays are unknown (one query, admins only).
    next_year = timezone.localdate().year + 1
    calendar_unknown = next_year if principal.is_admin and not year_known(next_year) else None
    return render(
        request,
        "dashboards/home.html",
        {
            "tasks": tasks,
            "more_tasks": more_tasks,
            "signoffs": signoffs,
            "more_signoffs": more_signoffs,
            "is_approver": bool(principal.approver_roles),
            "risks": risks,
            "more_risks": more_risks,
            "meetings": meetings,
            "missing": missing,
            "more_missing": more_missing,
            "actions": actions,
            "more_actions": more_actions,
            "campaigns": campaigns,
            "more_campaigns": more_campaigns,
            "teams": teams,
            "notifications": notifications,
            "unread_count": notifications[0].unread_total if notifications else 0,
            "today": timezone.localdate(),
            "calendar_unknown": calendar_unknown,
            "can_see_portfolio": principal.reads_everything,
            "campaigns_url": reverse("campaigns:list"),
            "risks_url": reverse("risks:list"),
            "queue_url": reverse("budgets:queue"),
            "reviews_url": reverse("reviews:list"),
        },
    )
