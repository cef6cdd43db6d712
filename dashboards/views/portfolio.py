"""The executive portfolio page (SPEC 8): every campaign's health, budget, alerts and member conversion, and one
risk heat map across them.

Access: executives (who read everything, SPEC 2) and administrators. Anyone else gets 403 — the page exists and
says who it is for, but it lists every team's campaigns, which other people may not see; their own campaigns
are on the campaign list and their overviews.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.permissions import principal_for
from risks.selectors import LIVE, heatmap
from teams.selectors import team_list

from ..forms import PortfolioFilterForm
from ..portfolio import portfolio_page, portfolio_risk_counts

PAGE_SIZE = 25


def can_see_portfolio(user) -> bool:
    principal = principal_for(user)
    return principal.reads_everything


@login_required
@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    if not can_see_portfolio(request.user):
        raise PermissionDenied(_("The portfolio is for executives and administrators."))
    teams = team_list(user=request.user).filter(parent__isnull=True).order_by("name")
    form = PortfolioFilterForm(request.GET or None, teams=teams)
    filters = form.filters()
    sort = form.sort_key()
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = portfolio_page(user=request.user, filters=filters, sort=sort, page=number, page_size=PAGE_SIZE)
    register = reverse("risks:list")
    risk_map = heatmap(
        portfolio_risk_counts(user=request.user),
        cell_url=lambda p, i: f"{register}?{urlencode({'status': LIVE, 'probability': p, 'impact': i})}",
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = request.GET.copy()
    sort_query.pop("page", None)
    sort_query.pop("sort", None)
    return render(
        request,
        "dashboards/portfolio.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "sort": sort,
            "extra": f"&{query.urlencode()}" if query else "",
            "sort_base": f"?{sort_query.urlencode()}&sort=" if sort_query else "?sort=",
            "risk_map": risk_map,
            "register_url": f"{register}?status={LIVE}",
        },
    )
