"""Read pages: the list, a budget's detail (burn, sign-offs, timeline), the sign-off queue, version history and
exports."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from campaigns.models import Campaign, Channel, Kpi, KpiReading
from campaigns.permissions import get_campaign_for_user
from campaigns.selectors import KpiStatus, kpi_status_from_readings
from core.exports import CONTENT_TYPES, export_response
from core.permissions import Access, principal_for

from .. import exports
from ..forms import BudgetFilterForm, ExpenseForm
from ..models import (
    Budget,
    BudgetLine,
    BudgetStatus,
    Decision,
    Expense,
    LineCategory,
    LineKind,
    Signoff,
    SignoffRole,
)
from ..permissions import budget_policy, get_budget_for_user
from ..selectors import (
    MONEY,
    budget_diff,
    campaign_risks,
    campaign_risks_known,
    line_prefetch,
    lines_with_spent,
    signoff_prefetch,
    signoff_queue,
    signoff_rows,
    totals_for,
)
from .common import sign_panels
from .editor import startable_campaigns
from .timeline import budget_timeline

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 10
EXPENSES_SHOWN = 20
OPEN_STATUSES = (BudgetStatus.DRAFT, BudgetStatus.IN_REVIEW)
SPENDING_STATUSES = (BudgetStatus.APPROVED, BudgetStatus.SUPERSEDED)


def _sum_of(queryset, group: str) -> Subquery:
    return Subquery(queryset.order_by().values(group).annotate(s=Sum("amount")).values("s")[:1], output_field=MONEY)


# --- List -----------------------------------------------------------------------------------------


@login_required
@require_GET
def budget_list(request: HttpRequest) -> HttpResponse:
    """Budgets the user may see, newest version first per campaign, with line sum, spend and approvals."""
    visible = budget_policy.visible(request.user, Budget.objects.all())
    campaigns = Campaign.objects.filter(pk__in=visible.values("campaign_id")).order_by("code")
    form = BudgetFilterForm(
        request.GET or None,
        campaigns=[(pk, f"{code} · {name}") for pk, code, name in campaigns.values_list("pk", "code", "name")],
    )
    filters = form.filters()
    budgets = (
        visible.filter(**filters)
        .select_related("campaign")
        .annotate(
            line_sum=Coalesce(_sum_of(BudgetLine.objects.filter(budget=OuterRef("pk")), "budget"), Value(Decimal(0))),
            spent=Coalesce(
                _sum_of(Expense.objects.filter(line__budget=OuterRef("pk")), "line__budget"), Value(Decimal(0))
            ),
            approvals=Coalesce(
                Subquery(
                    Signoff.objects.filter(budget=OuterRef("pk"), decision=Decision.APPROVE)
                    .order_by()
                    .values("budget")
                    .annotate(c=Count("pk"))
                    .values("c")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
        )
        .order_by("campaign__code", "-version")
    )
    page = Paginator(budgets, PAGE_SIZE).get_page(request.GET.get("page"))
    for budget in page.object_list:
        budget.burn = (budget.spent * 100 / budget.line_sum).quantize(Decimal("0.1")) if budget.line_sum else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "budgets/budget_list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "extra": f"&{query.urlencode()}" if query else "",
            "startable": list(startable_campaigns(request.user)[:6]),
            "is_approver": bool(principal_for(request.user).approver_roles),
        },
    )


# --- Detail ---------------------------------------------------------------------------------------


def detail_response(
    request: HttpRequest,
    budget: Budget,
    *,
    failed_sign: dict[str, Any] | None = None,
    expense_form: ExpenseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The detail page; actions re-render it with their refused form and a 400."""
    lines = lines_with_spent(budget)
    signoffs = list(budget.signoffs.select_related("signer").order_by("signed_at", "id"))
    versions = list(
        budget_policy.visible(request.user, Budget.objects.filter(campaign_id=budget.campaign_id))
        .order_by("-version")
        .values("pk", "version", "status")
    )
    open_version = next((v for v in versions if v["status"] in OPEN_STATUSES and v["pk"] != budget.pk), None)
    can_manage = budget.access >= Access.MANAGE
    status_is = budget.status
    abilities = {
        "can_manage": can_manage,
        "can_edit": can_manage and status_is == BudgetStatus.DRAFT,
        "can_submit": can_manage and status_is == BudgetStatus.DRAFT,
        "can_withdraw": can_manage and status_is == BudgetStatus.IN_REVIEW and not signoffs,
        "can_revise": can_manage
        and status_is in (BudgetStatus.APPROVED, BudgetStatus.REJECTED)
        and open_version is None,
        "can_spend": can_manage and status_is == BudgetStatus.APPROVED,
    }
    if abilities["can_spend"] and expense_form is None:
        expense_form = ExpenseForm(lines=lines)
    expenses = list(
        Expense.objects.filter(line__budget=budget).select_related("line", "recorded_by")[: EXPENSES_SHOWN + 1]
    )
    context = {
        "budget": budget,
        "campaign": budget.campaign,
        "lines": lines,
        "totals": totals_for(budget, lines),
        "signoff_rows": signoff_rows(budget, signoffs),
        "panels": sign_panels(request.user, budget, signoffs, failed_sign),
        "timeline": budget_timeline(budget, lines),
        "versions": versions,
        "open_version": open_version,
        "expense_form": expense_form if abilities["can_spend"] else None,
        "expenses": expenses[:EXPENSES_SHOWN],
        "more_expenses": len(expenses) > EXPENSES_SHOWN,
        # Spend only means something once money may be spent (or was, on a version since superseded).
        "show_spend": budget.status in SPENDING_STATUSES or bool(expenses),
        "has_channels": any(line.channel_id for line in lines),
        "approvals": sum(1 for s in signoffs if s.decision == Decision.APPROVE),
        **abilities,
    }
    return render(request, "budgets/budget_detail.html", context, status=status)


@login_required
@require_GET
def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return detail_response(request, get_budget_for_user(request.user, pk))


# --- Sign-off queue -------------------------------------------------------------------------------


def _kpis_by_campaign(campaign_ids: list[int]) -> dict[int, list[KpiStatus]]:
    """campaigns.selectors.campaign_kpis for several campaigns at once (two queries, not two per campaign)."""
    readings: dict[int, list[KpiReading]] = defaultdict(list)
    for reading in KpiReading.objects.filter(kpi__campaign_id__in=campaign_ids).order_by("date", "id"):
        readings[reading.kpi_id].append(reading)
    result: dict[int, list[KpiStatus]] = defaultdict(list)
    for kpi in Kpi.objects.filter(campaign_id__in=campaign_ids).order_by("id"):
        result[kpi.campaign_id].append(kpi_status_from_readings(kpi, readings[kpi.pk]))
    return result


def queue_response(
    request: HttpRequest, *, failed_sign: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    roles = sorted(r.removesuffix("_approver") for r in principal_for(request.user).approver_roles)
    queue = signoff_queue(user=request.user).prefetch_related(line_prefetch(), signoff_prefetch())
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = list(page.object_list)
    campaign_ids = sorted({b.campaign_id for b in budgets})
    kpis = _kpis_by_campaign(campaign_ids) if budgets else {}
    risks = campaign_risks(campaign_ids) if budgets else {}
    items = []
    for budget in budgets:
        lines = list(budget.lines.all())
        signoffs = list(budget.signoffs.all())
        risks_here = risks.get(budget.campaign_id, []) if risks is not None else None
        items.append(
            {
                "budget": budget,
                "lines": lines,
                "has_channels": any(line.channel_id for line in lines),
                "totals": totals_for(budget, lines),
                "signoff_rows": signoff_rows(budget, signoffs),
                "kpis": kpis.get(budget.campaign_id, []),
                "risks": risks_here,
                "risk_cost": sum((r.cost_impact or Decimal(0) for r in risks_here), Decimal(0)) if risks_here else None,
                # The queue holds only budgets segregation of duties lets this user sign (selectors.signoff_queue).
                "panels": sign_panels(request.user, budget, signoffs, failed_sign, eligible=True),
            }
        )
    return render(
        request,
        "budgets/signoff_queue.html",
        {
            "page": page,
            "items": items,
            "roles": [SignoffRole(role).label for role in roles if role in SignoffRole.values],
            "risk_register_exists": campaign_risks_known(),
        },
        status=status,
    )


@login_required
@require_GET
def budget_queue(request: HttpRequest) -> HttpResponse:
    """ "Awaiting my sign-off": budgets in review the user may still sign (selectors.signoff_queue)."""
    return queue_response(request)


# --- Version history ------------------------------------------------------------------------------


@login_required
@require_GET
def budget_history(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """Every version of the campaign's budget the user may see, newest first, each with its changes from the one
    before."""
    campaign = get_campaign_for_user(request.user, campaign_pk)
    versions = list(
        budget_policy.visible(request.user, Budget.objects.filter(campaign=campaign))
        .select_related("submitted_by")
        .prefetch_related(line_prefetch())
        .order_by("-version")
    )
    channels = dict(Channel.objects.filter(campaign=campaign).values_list("pk", "name"))
    rows = []
    for index, budget in enumerate(versions):
        lines = list(budget.lines.all())
        older = versions[index + 1] if index + 1 < len(versions) else None
        diff = []
        if older is not None:
            for change in budget_diff(older, budget):
                diff.append(
                    {
                        **change,
                        "category_label": LineCategory(change["category"]).label,
                        "kind_label": LineKind(change["kind"]).label,
                        "channel_name": channels.get(change["channel"], "") if change["channel"] else "",
                    }
                )
        rows.append({"budget": budget, "totals": totals_for(budget, lines), "older": older, "diff": diff})
    can_start = not versions and campaign.access >= Access.MANAGE
    return render(
        request,
        "budgets/budget_history.html",
        {"campaign": campaign, "rows": rows, "can_start": can_start},
    )


# --- Exports --------------------------------------------------------------------------------------


@login_required
@require_GET
def budget_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The budget as CSV (UTF-8 with a BOM, so Excel opens it right) or XLSX; same access as the detail page."""
    if fmt not in CONTENT_TYPES:
        raise Http404("Unknown export format.")
    budget = get_budget_for_user(request.user, pk)
    sheet = exports.budget_sheet(budget, lines_with_spent(budget))
    return export_response(sheet, fmt, exports.budget_filename(budget, fmt))


urlpatterns = [
    path("", budget_list, name="list"),
    path("awaiting-my-signoff/", budget_queue, name="queue"),
    path("<int:pk>/", budget_detail, name="detail"),
    path("<int:pk>/export.<str:fmt>", budget_export, name="export"),
    path("campaign/<int:campaign_pk>/", budget_history, name="history"),
]
