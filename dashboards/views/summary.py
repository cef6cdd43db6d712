"""The printable campaign summary page (SPEC 8 "Reports")."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.permissions import get_campaign_for_user

from ..summary import campaign_summary
from .overview import kpi_chart


@login_required
@require_GET
def campaign_summary_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Objective, dates, phases with lights, milestones, critical path, KPIs, budget, risks, latest minutes.
    Whoever may read the campaign may read its summary; each part shows only what they may see in its app."""
    campaign = get_campaign_for_user(request.user, pk)
    summary = campaign_summary(campaign=campaign, user=request.user)
    return render(
        request,
        "dashboards/campaign_summary.html",
        {"campaign": campaign, "active_tab": "summary", **summary, "kpi_rows": kpi_chart(summary["kpis"])["rows"]},
    )
