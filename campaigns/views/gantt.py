"""The timeline (SPEC 10.2): tasks grouped by phase as Frappe Gantt bars at their scheduled dates with the planned
dates as a baseline, milestones as diamonds, the critical path and today's line; team writers move and resize bars
(``gantt_move``, through the task service); the CPM schedule as a table."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.pagecache import shared_parts
from core.permissions import Access
from core.security import csp_update

from .. import services
from ..forms.work import TaskMoveForm
from ..health import campaign_health
from ..models import Campaign
from ..permissions import campaign_read_again, get_campaign_for_user
from ..schedule import CycleError
from ..selectors import campaign_gantt, campaign_today
from ._common import task_in, writable


def _context(campaign: Campaign) -> dict[str, Any]:
    today = campaign_today(campaign)
    health = campaign_health(campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "active_tab": "gantt",
        "today": today,
        "campaign_health": health,
        "slip_days": health.slip_days,
    }
    try:
        context.update(campaign_gantt(campaign=campaign, today=today))
    except CycleError:  # the services refuse cycles; this only guards against data written around them
        context["cycle_error"] = True
        return context
    # Open on today when it falls within the campaign, else on its start (before) or the last weeks (after).
    first = campaign.start_date
    scroll_to = min(max(today, first), campaign.end_date)
    context["gantt_config"] = {
        "today": today.isoformat(),
        "scroll_to": scroll_to.isoformat(),
        "can_edit": writable(campaign),
        "move_url": reverse("campaigns:gantt_move", args=[campaign.pk, 0]),
    }
    return context


@login_required
@require_GET
# Frappe Gantt writes style attributes on its SVG (weekend shading, the hatch pattern): allowed on this page only.
@csp_update(style_src_attr=["'unsafe-inline'"])
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline and the CPM schedule as a table."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    health = campaign_health(campaign)  # the header's badge; brought up to date here if the day moved on
    audience = (campaign.pk, writable(campaign), campaign_today(campaign).isoformat())

    def build(csrf_token: str) -> dict[str, str]:
        """The chart, its data and the schedule table: the same for every reader with the same write access."""
        context = {**_context(campaign_read_again(campaign)), "csrf_token": csrf_token}
        return {"content": render_to_string("campaigns/_gantt_shared.html#content", context)}

    shared = shared_parts(request, "campaign-timeline", audience, build)
    context = {"campaign": campaign, "active_tab": "gantt", "campaign_health": health, "shared": shared}
    return render(request, "campaigns/work_gantt.html", context)


@login_required
@require_POST
def gantt_move(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """A bar moved or resized on the timeline (team writers): the task's new planned dates through the task
    service. JSON: 200 with the chart's rows, the health badge and the schedule table worked out again; 400 with
    ``errors`` {field: [message]} and nothing saved (the chart puts the bar back); 403 read-only, 404 outsiders."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    form = TaskMoveForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors, "message": _first_error(form.errors)}, status=400)
    try:
        services.task_move(task=task, actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        errors = {
            field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for field, msgs in exc.errors.items()
        }
        message = _first_error(errors) or str(exc.message)
        return JsonResponse({"errors": errors, "message": message}, status=400)
    campaign.refresh_from_db()  # keeps the access level the permissions helper set
    context = _context(campaign)
    return JsonResponse(
        {
            "data": context.get("data", []),
            "badge": render_to_string("campaigns/includes/health_badge.html", context, request=request),
            "schedule": render_to_string("campaigns/includes/gantt_schedule.html", context, request=request),
            "message": _("“%(task)s” moved: the schedule and the critical path are worked out again.")
            % {"task": task.title},
        }
    )


def _first_error(errors: dict[str, Any]) -> str:
    for messages in errors.values():
        for message in messages:
            return str(message)
    return ""


urlpatterns = [
    path("<int:pk>/timeline/", gantt, name="gantt"),
    path("<int:pk>/timeline/tasks/<int:task_pk>/move/", gantt_move, name="gantt_move"),
]
