"""KPIs of a campaign: cards with their readings chart and the 15 % flag, adding a KPI, recording a reading."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.errors import ApplicationError
from core.permissions import Access
from core.web import apply_service_errors

from .. import services
from ..forms.work import KpiForm, KpiReadingForm
from ..models import Campaign, Kpi
from ..permissions import get_campaign_for_user
from ..selectors import KpiStatus, campaign_kpis, campaign_today
from ._common import writable


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None  # Chart.js wants numbers, not decimal strings


def _kpi_card(status: KpiStatus, today: dt.date, form: KpiReadingForm | None = None) -> KpiStatus:
    """Dress a KPI's status for its card: chart series, deviation in per cent, the readings form."""
    kpi, readings = status.kpi, status.readings
    status.chart_id = f"kpi-chart-data-{kpi.pk}"
    status.chart = {
        "labels": [r.date.isoformat() for r in readings],
        "series": [
            {"key": "actual", "label": _("Actual"), "data": [_number(r.actual) for r in readings]},
            {"key": "forecast", "label": _("Forecast"), "data": [_number(r.forecast) for r in readings]},
            {"key": "target", "label": _("Target"), "data": [_number(kpi.target)] * len(readings)},
        ],
        "unit": kpi.unit,
    }
    status.deviation_pct = status.deviation * 100 if status.deviation is not None else None
    status.reading_form = form or KpiReadingForm(initial={"date": today}, kind=kpi.kind, auto_id=f"kpi-{kpi.pk}-%s")
    return status


def _kpis_context(campaign: Campaign, *, kpi_form: KpiForm | None = None, reading_forms: dict | None = None) -> dict:
    today = campaign_today(campaign)
    reading_forms = reading_forms or {}
    cards = [_kpi_card(s, today, reading_forms.get(s.kpi.pk)) for s in campaign_kpis(campaign=campaign)]
    context = {
        "campaign": campaign,
        "active_tab": "kpis",
        "cards": cards,
        "kpi_count": len(cards),
        "off_count": sum(1 for c in cards if c.off_forecast),
        "can_write": writable(campaign),
    }
    if context["can_write"]:
        context["kpi_form"] = kpi_form or KpiForm(campaign=campaign)
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def kpis(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    template = "campaigns/work_kpis.html#kpi-list" if request.htmx else "campaigns/work_kpis.html"
    return render(request, template, _kpis_context(campaign))


@login_required
@require_POST
def kpi_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    form = KpiForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            kpi = services.kpi_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("KPI “%(name)s” added.") % {"name": kpi.name})
            return HttpResponseRedirect(reverse("campaigns:kpis", args=[campaign.pk]))
    context = _kpis_context(campaign, kpi_form=form)
    context["kpi_form_open"] = True
    return render(request, "campaigns/work_kpis.html", context, status=400)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def kpi_reading_record(request: HttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """Record a dated actual and/or forecast (a second reading for the same date updates it)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    kpi = get_object_or_404(Kpi.objects.filter(campaign=campaign), pk=kpi_pk)
    form = KpiReadingForm(request.POST, kind=kpi.kind, auto_id=f"kpi-{kpi.pk}-%s")
    status_code = 400
    if form.is_valid():
        try:
            services.kpi_record_reading(kpi=kpi, actor=request.user, **form.reading())
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            status_code = 200
            if not request.htmx:
                messages.success(request, _("Reading for “%(name)s” saved.") % {"name": kpi.name})
                return HttpResponseRedirect(reverse("campaigns:kpis", args=[campaign.pk]) + f"#kpi-{kpi.pk}")
            form = None
    if request.htmx:
        # The card, and out of band the page's count of flagged KPIs, which this reading may have changed.
        statuses = campaign_kpis(campaign=campaign)
        card = _kpi_card(next(s for s in statuses if s.kpi.pk == kpi.pk), campaign_today(campaign), form)
        card_html = render_to_string(
            "campaigns/work_kpis.html#kpi-card", {"campaign": campaign, "card": card, "can_write": True}, request
        )
        summary = {
            "kpi_count": len(statuses),
            "off_count": sum(1 for s in statuses if s.off_forecast),
            "oob": True,
        }
        summary_html = render_to_string("campaigns/work_kpis.html#kpi-summary", summary, request)
        return HttpResponse(card_html + summary_html, status=status_code)
    return render(
        request, "campaigns/work_kpis.html", _kpis_context(campaign, reading_forms={kpi.pk: form}), status=400
    )


urlpatterns = [
    path("<int:pk>/kpis/", kpis, name="kpis"),
    path("<int:pk>/kpis/add/", kpi_create, name="kpi_create"),
    path("<int:pk>/kpis/<int:kpi_pk>/readings/", kpi_reading_record, name="kpi_reading_record"),
]
