"""The timeline: tasks as Frappe Gantt bars with the critical path, and the CPM schedule as a table."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from core.permissions import Access
from core.security import csp_update

from ..health import campaign_health
from ..permissions import get_campaign_for_user
from ..schedule import CycleError
from ..selectors import campaign_gantt, campaign_today


@login_required
@require_GET
# Frappe Gantt writes style attributes on its SVG (weekend shading, the hatch pattern): allowed on this page only.
@csp_update(style_src_attr=["'unsafe-inline'"])
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    """Tasks as Frappe Gantt bars (critical path highlighted) and the CPM schedule as a table."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
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
    return render(request, "campaigns/work_gantt.html", context)


urlpatterns = [
    path("<int:pk>/timeline/", gantt, name="gantt"),
]
