"""The risk pages: the register (filters, badges, exports), the 5×5 heat map, a risk's page (acknowledge, alert
history, reviews), the risk form and the Monte Carlo exposure panel.

Thin views: a form parses, risks.services decides, a template renders. Access goes through
risks.permissions / campaigns.permissions: 404 for outsiders, 403 for read-only people who try to write.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from budgets.models import BudgetLine, BudgetStatus
from campaigns.health import campaign_health
from campaigns.models import Campaign, Task
from campaigns.permissions import campaign_policy, get_campaign_for_user
from campaigns.selectors import campaign_today
from campaigns.services import campaign_members
from core.errors import ApplicationError, NotAllowed
from core.exports import CONTENT_TYPES, export_response
from core.formatting import format_cny, short_amount
from core.permissions import Access, principal_for
from core.web import apply_service_errors, safe_next
from teams.models import User

from . import exports
from .alerts import ALERT_SHORT, alert_badge, today_in
from .exposure import OCCURRENCE, simulate_exposure
from .forms import ReviewForm, RiskFilterForm, RiskForm
from .models import AlertLevel, Band, Risk, RiskStatus, band_for
from .permissions import get_risk_for_user, risk_policy
from .ratings import IMPACT_LABELS, IMPACT_NAMES, PROBABILITY_LABELS, PROBABILITY_NAMES, RATINGS
from .selectors import LIVE, LIVE_STATUSES, matrix_counts, register_queryset
from .services import risk_acknowledge, risk_review_record, risk_save

PAGE_SIZE = 25
# The columns the register's rows show (not the long texts): the list reads these only; exports read every column.
OWNER_FIELDS = ("id", "display_name", "first_name", "last_name", "username")
REGISTER_FIELDS = ("id", "campaign_id", "owner_id", "title", "category", "probability", "impact", "score")
REGISTER_FIELDS += ("expected_date", "status", "alert_level", "acknowledged_at", "campaign__id", "campaign__code")
REGISTER_FIELDS += ("campaign__time_zone", *(f"owner__{f}" for f in OWNER_FIELDS))
EVENTS_SHOWN = 50


# --- Shared pieces ---------------------------------------------------------------------------------


def _annotate_rows(risks: list[Risk]) -> list[Risk]:
    """Badges for each risk, each counted in its own campaign's time zone (no queries)."""
    todays: dict[str, dt.date] = {}
    now = timezone.now()
    for risk in risks:
        zone = risk.campaign.time_zone
        if zone not in todays:
            todays[zone] = today_in(zone, now)
        risk.alert = alert_badge(risk, todays[zone])
    return risks


def _campaign_options(user: Any) -> list[dict[str, Any]]:
    """Campaigns the user can see (one query), each marked with whether the user may add risks to it."""
    principal = principal_for(user)
    rows = campaign_policy.visible(user, Campaign.objects.order_by("code")).values_list("pk", "code", "name", "team_id")
    return [
        {
            "pk": pk,
            "code": code,
            "name": name,
            "writable": principal.is_admin or principal.team_access(team_id) >= Access.WRITE,
        }
        for pk, code, name, team_id in rows
    ]


def _redirect(name: str, *args: Any, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args) + anchor)


# --- Register --------------------------------------------------------------------------------------


def _register(request: HttpRequest) -> tuple[RiskFilterForm, dict[str, Any], QuerySet[Risk], list[dict[str, Any]]]:
    """The filter form and the filtered, sorted register of risks the user may see (as the list and exports use)."""
    visible = risk_policy.visible(request.user, Risk.objects.all())
    campaigns = _campaign_options(request.user)
    owners = User.objects.filter(pk__in=visible.values("owner_id")).order_by("display_name", "username")
    owners = owners.only(*OWNER_FIELDS)
    form = RiskFilterForm(
        request.GET or None,
        campaigns=[(c["pk"], f"{c['code']} · {c['name']}") for c in campaigns],
        owners=list(owners),
    )
    filters = form.filters(request.user)
    risks = register_queryset(visible.select_related("campaign", "owner"), filters)
    return form, filters, risks, campaigns


@login_required
@require_GET
@vary_on_headers("HX-Request")
def risk_list(request: HttpRequest) -> HttpResponse:
    """Risks of every campaign the user can see (``?campaign=`` narrows), red alerts first, then by score."""
    form, filters, risks, campaigns = _register(request)
    page = Paginator(risks.only(*REGISTER_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    _annotate_rows(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    campaign = next((c for c in campaigns if c["pk"] == filters.get("campaign")), None)
    writable = [c for c in campaigns if c["writable"]]
    if campaign is not None:
        new_url = f"{reverse('risks:create')}?campaign={campaign['pk']}" if campaign["writable"] else None
    else:
        new_url = reverse("risks:create") if writable else None
    context = {
        "form": form,
        "page": page,
        "filtered": bool(filters),
        "campaign": campaign,
        "cell": (filters.get("probability"), filters.get("impact")),
        "extra": f"&{query.urlencode()}" if query else "",
        "query": query.urlencode(),
        "new_url": new_url,
        "matrix_url": reverse("risks:matrix") + (f"?campaign={campaign['pk']}" if campaign else ""),
    }
    template = "risks/risk_list.html#register" if request.htmx else "risks/risk_list.html"
    return render(request, template, context)


@login_required
@require_GET
def risk_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered register (same filters as the list, every page) as CSV (UTF-8 with a BOM) or XLSX."""
    if fmt not in CONTENT_TYPES:
        raise Http404(_("Unknown export format."))
    _form, filters, risks, campaigns = _register(request)
    campaign = next((c for c in campaigns if c["pk"] == filters.get("campaign")), None)
    filename = exports.register_filename(campaign["code"] if campaign else None, fmt)
    return export_response(exports.register_sheet(list(risks)), fmt, filename)


# --- Heat map --------------------------------------------------------------------------------------


def _cell_url(campaign: dict[str, Any] | None, **params: Any) -> str:
    query = {"campaign": campaign["pk"]} if campaign else {}
    query.update(params)
    return f"{reverse('risks:list')}?{urlencode(query)}"


@login_required
@require_GET
def risk_matrix(request: HttpRequest) -> HttpResponse:
    """The 5×5 heat map of live risks (open, monitoring, occurred) over every campaign the user can see, or one
    (``?campaign=``). Each cell links to the register filtered to exactly the risks it counts."""
    campaigns = _campaign_options(request.user)
    form = RiskFilterForm(request.GET or None, campaigns=[(c["pk"], f"{c['code']} · {c['name']}") for c in campaigns])
    campaign_id = form.filters(request.user).get("campaign")
    campaign = next((c for c in campaigns if c["pk"] == campaign_id), None)
    scope = {"pk": campaign_id} if campaign_id is not None else None
    risks = risk_policy.visible(request.user, Risk.objects.all())
    if campaign_id is not None:
        # A campaign the user cannot see matches nothing: an all-zero map, revealing nothing.
        risks = risks.filter(campaign_id=campaign_id)
    counts = matrix_counts(risks)
    alerts = dict(
        risks.exclude(alert_level=AlertLevel.NONE)
        .order_by()
        .values_list("alert_level")
        .annotate(n=Count("id"))
        .values_list("alert_level", "n")
    )
    rows = []
    for p in reversed(RATINGS):
        cells = []
        for i in RATINGS:
            count = counts.get((p, i), 0)
            band = band_for(p * i)
            cells.append(
                {
                    "probability": p,
                    "impact": i,
                    "score": p * i,
                    "count": count,
                    "band": band,
                    "band_label": Band(band).label,
                    "url": _cell_url(scope, status=LIVE, probability=p, impact=i),
                }
            )
        rows.append({"probability": p, "label": PROBABILITY_LABELS[p], "name": PROBABILITY_NAMES[p], "cells": cells})
    band_totals = dict.fromkeys(Band.values, 0)
    for (p, i), count in counts.items():
        band_totals[band_for(p * i)] += count
    return render(
        request,
        "risks/risk_matrix.html",
        {
            "form": form,
            "campaign": campaign,
            "rows": rows,
            "impacts": [{"impact": i, "label": IMPACT_LABELS[i], "name": IMPACT_NAMES[i]} for i in RATINGS],
            "total": sum(counts.values()),
            "bands": [
                {
                    "band": band,
                    "label": label,
                    "count": band_totals[band],
                    "url": _cell_url(scope, status=LIVE, band=band),
                }
                for band, label in reversed(Band.choices)
            ],
            "alerts": [
                {
                    "level": level,
                    "label": ALERT_SHORT[level],
                    "count": alerts.get(level, 0),
                    "url": _cell_url(scope, alert_level=level),
                }
                for level in (AlertLevel.RED, AlertLevel.YELLOW, AlertLevel.BLUE)
            ],
            "list_url": _cell_url(scope, status=LIVE),
        },
    )


# --- One risk --------------------------------------------------------------------------------------


def _score_history(risk: Risk, reviews: list[Any]) -> list[dict[str, Any]]:
    """The score before the first review, then after each review, oldest first."""
    if not reviews:
        return []
    first = reviews[0]
    points = [
        {
            "date": None,
            "label": _("Before the first review"),
            "score": first.previous_probability * first.previous_impact,
            "probability": first.previous_probability,
            "impact": first.previous_impact,
        }
    ]
    for review in reviews:
        points.append(
            {
                "date": review.reviewed_on,
                "label": "",
                "score": review.score,
                "probability": review.probability,
                "impact": review.impact,
            }
        )
    for point in points:
        point["band"] = band_for(point["score"])
        point["band_label"] = Band(point["band"]).label
    return points


def _detail_context(request: HttpRequest, risk: Risk, *, review_form: ReviewForm | None = None) -> dict[str, Any]:
    today = campaign_today(risk.campaign)
    risk.alert = alert_badge(risk, today)
    reviews = list(risk.reviews.select_related("reviewer").order_by("reviewed_on", "id"))
    can_write = risk.access >= Access.WRITE
    can_acknowledge = (
        risk.alert_level != AlertLevel.NONE
        and risk.acknowledged_at is None
        and (request.user.pk == risk.owner_id or risk.access >= Access.MANAGE)
    )
    events = list(risk.alert_events.all()[:EVENTS_SHOWN])
    for event in events:
        event.short = ALERT_SHORT.get(event.level, _("No alert"))
        event.previous_short = ALERT_SHORT.get(event.previous_level, _("No alert"))
    return {
        "risk": risk,
        "campaign": risk.campaign,
        "today": today,
        "can_write": can_write,
        "can_acknowledge": can_acknowledge,
        "events": events,
        "reviews": list(reversed(reviews)),
        "history": _score_history(risk, reviews),
        "review_form": review_form or (ReviewForm(risk=risk, today=today) if can_write else None),
        "probability_label": PROBABILITY_LABELS[risk.probability],
        "impact_label": IMPACT_LABELS[risk.impact],
        "band_label": Band(risk.band).label,
        "cost": format_cny(risk.cost_impact) if risk.cost_impact is not None else None,
    }


@login_required
@require_GET
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    risk = get_risk_for_user(request.user, pk)
    return render(request, "risks/risk_detail.html", _detail_context(request, risk))


@login_required
@require_POST
def risk_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner (or the campaign's lead/deputy) acknowledges the alert; anyone else who can see it gets 403."""
    risk = get_risk_for_user(request.user, pk)
    try:
        risk_acknowledge(risk=risk, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from None
    except ApplicationError as exc:  # a Conflict: no alert, or already acknowledged
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Alert acknowledged. Follow the contingency plan."))
    # Back where it was done (the home page's one tap, the inbox), else the risk.
    return HttpResponseRedirect(safe_next(request, reverse("risks:detail", args=[risk.pk])))


@login_required
@require_POST
def risk_review(request: HttpRequest, pk: int) -> HttpResponse:
    risk = get_risk_for_user(request.user, pk, need=Access.WRITE)
    form = ReviewForm(request.POST, risk=risk, today=campaign_today(risk.campaign))
    if form.is_valid():
        try:
            review = risk_review_record(risk=risk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Review recorded: the score is now %(score)s (was %(previous)s).")
                % {"score": review.score, "previous": review.previous_probability * review.previous_impact},
            )
            return _redirect("risks:detail", risk.pk, anchor="#reviews")
    return render(request, "risks/risk_detail.html", _detail_context(request, risk, review_form=form), status=400)


# --- Create and edit -------------------------------------------------------------------------------


def _form_choices(campaign: Campaign) -> dict[str, Any]:
    """Owners from the campaign's team, its tasks and the lines of its budgets still in play (three queries)."""
    return {
        "members": list(
            User.objects.filter(campaign_members(campaign)).distinct().order_by("display_name", "username")
        ),
        "tasks": list(Task.objects.filter(campaign=campaign).order_by("start_date", "pk")),
        "lines": list(
            BudgetLine.objects.filter(budget__campaign=campaign)
            .exclude(budget__status=BudgetStatus.SUPERSEDED)
            .select_related("budget")
            .order_by("-budget__version", "position", "id")
        ),
    }


@login_required
def risk_create(request: HttpRequest) -> HttpResponse:
    """A new risk in ``?campaign=``; without one, a choice of the campaigns the user may add risks to."""
    if not request.GET.get("campaign"):
        writable = [c for c in _campaign_options(request.user) if c["writable"]]
        return render(request, "risks/risk_start.html", {"campaigns": writable})
    campaign = get_campaign_for_user(request.user, request.GET["campaign"], need=Access.WRITE)
    form = RiskForm(request.POST or None, **_form_choices(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            risk = risk_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Risk “%(title)s” added.") % {"title": risk.title})
            return _redirect("risks:detail", risk.pk)
    return render(
        request,
        "risks/risk_form.html",
        {"form": form, "campaign": campaign, "risk": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    risk = get_risk_for_user(request.user, pk, need=Access.WRITE)
    form = RiskForm(
        request.POST or None,
        initial=RiskForm.initial_for(risk),
        current=risk,
        **_form_choices(risk.campaign),
    )
    if request.method == "POST" and form.is_valid():
        try:
            risk_save(campaign=risk.campaign, actor=request.user, risk=risk, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Risk “%(title)s” saved.") % {"title": form.cleaned_data["title"]})
            return _redirect("risks:detail", risk.pk)
    return render(
        request,
        "risks/risk_form.html",
        {"form": form, "campaign": risk.campaign, "risk": risk},
        status=400 if request.method == "POST" else 200,
    )


# --- Exposure --------------------------------------------------------------------------------------


def _short_cny(value: float) -> str:
    """Axis labels: 1,200,000 → 1.2 M / 120万; 35,000 → 35 k / 3.5万 (core.formatting.short_amount)."""
    return short_amount(value)


@login_required
@require_GET
def risk_exposure(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """Monte Carlo exposure of one campaign: P50/P90 cost against the budget's reserve, P50/P90 schedule slip
    and the projected end. Seeded by the campaign, so the same register gives the same numbers."""
    campaign = get_campaign_for_user(request.user, campaign_pk)
    exposure = simulate_exposure(campaign=campaign)
    risks = list(
        Risk.objects.filter(campaign=campaign, status__in=LIVE_STATUSES)
        .select_related("owner", "task")
        .order_by("-probability", "-impact", "id")
    )
    for risk in risks:
        risk.chance = 1.0 if risk.status == RiskStatus.OCCURRED else OCCURRENCE[risk.probability]
        risk.expected_cost = Decimal(str(risk.chance)) * (risk.cost_impact or Decimal(0))
        risk.chance_pct = round(risk.chance * 100)
        risk.expected_cost_text = format_cny(risk.expected_cost)
        risk.cost_text = format_cny(risk.cost_impact) if risk.cost_impact is not None else "—"
    risks.sort(key=lambda r: (-r.expected_cost, -r.score, r.pk))
    edges = exposure.histogram_edges
    reserve = float(exposure.reserve) if exposure.reserve is not None else None
    total = max(sum(exposure.histogram_counts), 1)
    bins = [
        {
            "label": f"{_short_cny(edges[n])}–{_short_cny(edges[n + 1])}",
            "count": count,
            "share": round(count * 100 / total, 1),
            "beyond_reserve": reserve is not None and edges[n] >= reserve,
        }
        for n, count in enumerate(exposure.histogram_counts)
    ]
    has_costs = any(r.cost_impact for r in risks)
    chart = {
        "labels": [b["label"] for b in bins],
        "shares": [b["share"] for b in bins],
        "beyond": [b["beyond_reserve"] for b in bins],
        "text": {
            "within": _("Share of trials (total within the reserve)") if reserve is not None else _("Share of trials"),
            "beyond": _("Share of trials (total beyond the reserve)"),
            "x": _("Total cost of the risks that occur (CNY)"),
            "y": _("Share of trials (%)"),
        },
    }
    covers = exposure.reserve_covers_p90
    return render(
        request,
        "risks/risk_exposure.html",
        {
            "campaign": campaign,
            "campaign_health": campaign_health(campaign),  # made current by simulate_exposure
            "exposure": exposure,
            "trials": number_format(exposure.trials, force_grouping=True),
            "risks": risks,
            "bins": bins,
            "chart": chart,
            "has_costs": has_costs,
            "covers": covers,
            "shortfall": format_cny(exposure.cost_p90 - exposure.reserve) if covers is False else None,
            "money": {
                "p50": format_cny(exposure.cost_p50),
                "p90": format_cny(exposure.cost_p90),
                "mean": format_cny(exposure.cost_mean),
                "reserve": format_cny(exposure.reserve) if exposure.reserve is not None else None,
            },
            "can_write": campaign.access >= Access.WRITE,
        },
    )


app_name = "risks"
urlpatterns = [
    path("", risk_list, name="list"),
    path("matrix/", risk_matrix, name="matrix"),
    path("new/", risk_create, name="create"),
    path("export.<str:fmt>", risk_export, name="export"),
    path("exposure/<int:campaign_pk>/", risk_exposure, name="exposure"),
    path("<int:pk>/", risk_detail, name="detail"),
    path("<int:pk>/edit/", risk_edit, name="edit"),
    path("<int:pk>/acknowledge/", risk_acknowledge_view, name="acknowledge"),
    path("<int:pk>/review/", risk_review, name="review"),
]
