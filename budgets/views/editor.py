"""The draft editor: total cap, reserve %, note and line rows (a formset). htmx adds rows and re-renders the live
summary as the person types; without JavaScript the same form submits and the server shows the same checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from campaigns.models import Campaign, CampaignStatus
from campaigns.permissions import get_campaign_for_user
from core.errors import ApplicationError, Conflict, NotAllowed
from core.permissions import Access, principal_for

from .. import services
from ..forms import (
    LINES_PREFIX,
    MAX_LINES,
    BudgetForm,
    LineFormSet,
    default_kind,
    line_formset,
    line_initial,
    plain_amount,
    raw_line_initial,
)
from ..models import RESERVE_CATEGORIES, Budget, BudgetLine, BudgetStatus, LineCategory, LineKind
from ..permissions import get_budget_for_user
from .common import channel_choices, refuse

TEMPLATE = "budgets/budget_form.html"


# --- The live summary -----------------------------------------------------------------------------


@dataclass
class Summary:
    """Sums of the rows as typed so far, and the service's own check of them (budgets.services.budget_check)."""

    total: Decimal | None
    reserve_pct: Decimal | None
    line_sum: Decimal = Decimal(0)
    line_count: int = 0
    rigid: Decimal = Decimal(0)
    flexible: Decimal = Decimal(0)
    reserve: Decimal = Decimal(0)
    incomplete: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def required_reserve(self) -> Decimal | None:
        if self.total is None or self.reserve_pct is None:
            return None
        return (self.total * self.reserve_pct / Decimal(100)).quantize(Decimal("0.01"))

    @property
    def remaining(self) -> Decimal | None:
        return None if self.total is None else self.total - self.line_sum

    @property
    def over_by(self) -> Decimal:
        return -(self.remaining or Decimal(0))

    @property
    def reserve_ok(self) -> bool:
        return self.required_reserve is not None and self.reserve >= self.required_reserve

    @property
    def reserve_short(self) -> Decimal:
        return max((self.required_reserve or Decimal(0)) - self.reserve, Decimal(0))

    @property
    def fill(self) -> Decimal:
        """Lines as a share of the cap, for the bar (capped at 100)."""
        if not self.total:
            return Decimal(0)
        return min(self.line_sum * 100 / self.total, Decimal(100)).quantize(Decimal("0.1"))

    @property
    def ok(self) -> bool:
        return not self.problems and not self.incomplete and self.total is not None and self.line_count > 0


def summarize(
    total: Decimal | None, reserve_pct: Decimal | None, lines: list[BudgetLine], incomplete: int = 0
) -> Summary:
    summary = Summary(total=total, reserve_pct=reserve_pct, incomplete=incomplete)
    for line in lines:
        summary.line_sum += line.amount
        summary.line_count += 1
        if line.kind == LineKind.RIGID:
            summary.rigid += line.amount
        else:
            summary.flexible += line.amount
        if line.category in RESERVE_CATEGORIES:
            summary.reserve += line.amount
    if total is None or reserve_pct is None:
        summary.problems.append(_("Enter the total cap and the reserve percentage to check the lines against them."))
        return summary
    try:
        services.budget_check(total=total, reserve_pct=reserve_pct, lines=lines)
    except ApplicationError as exc:
        summary.problems.extend(m for msgs in exc.errors.values() for m in msgs)
    return summary


def summary_from_post(form: BudgetForm, formset: LineFormSet) -> Summary:
    """Whatever parses counts; rows that do not parse yet are counted as incomplete and left out of the sums."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    lines, incomplete = [], 0
    for row in formset.kept_forms():
        if row.is_valid():
            data = row.cleaned_data
            lines.append(BudgetLine(category=data["category"], kind=data["kind"], amount=data["amount"]))
        else:
            incomplete += 1
    return summarize(cleaned.get("total"), cleaned.get("reserve_pct"), lines, incomplete)


# --- Editor page ----------------------------------------------------------------------------------


def _first_lines(campaign: Campaign) -> list[dict[str, Any]]:
    """A new budget starts from the categories of the campaign's playbook (or one empty row)."""
    categories = campaign.playbook.definition.get("budget_categories", []) if campaign.playbook_id else []
    rows = [{"category": c, "kind": default_kind(c)} for c in categories if c in LineCategory.values]
    return rows or [{}]


def _render_editor(
    request: HttpRequest,
    *,
    campaign: Campaign,
    budget: Budget | None,
    form: BudgetForm,
    formset: LineFormSet,
    summary: Summary,
    check_errors: list[str] = (),
    status: int = 200,
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "budget": budget,
        "form": form,
        "formset": formset,
        "summary": summary,
        "check_errors": list(check_errors),
        "max_lines": MAX_LINES,
        "action_url": reverse("budgets:edit", args=[budget.pk])
        if budget
        else f"{reverse('budgets:create')}?campaign={campaign.pk}",
        "cancel_url": reverse("budgets:detail", args=[budget.pk]) if budget else reverse("budgets:list"),
    }
    return render(request, TEMPLATE, context, status=status)


def _editor(request: HttpRequest, *, campaign: Campaign, budget: Budget | None) -> HttpResponse:
    channels = channel_choices(campaign)
    if request.method != "POST":
        if budget is None:
            form = BudgetForm(initial={"reserve_pct": Decimal("10")})
            formset = line_formset(channel_choices=channels, initial=_first_lines(campaign))
            summary = summarize(None, Decimal("10"), [])
            summary.problems.clear()  # nothing typed yet: nothing to complain about
        else:
            lines = list(budget.lines.all())
            form = BudgetForm(
                initial={"total": plain_amount(budget.total), "reserve_pct": budget.reserve_pct, "note": budget.note}
            )
            formset = line_formset(channel_choices=channels, initial=line_initial(lines))
            summary = summarize(budget.total, budget.reserve_pct, lines)
        return _render_editor(request, campaign=campaign, budget=budget, form=form, formset=formset, summary=summary)

    form = BudgetForm(request.POST)
    formset = line_formset(channel_choices=channels, data=request.POST)
    summary = summary_from_post(form, formset)
    if "add_line" in request.POST:
        # "Add line" without JavaScript: show what was typed again with one more row; nothing is saved.
        shown = BudgetForm(initial={name: request.POST.get(name, "") for name in ("total", "reserve_pct", "note")})
        more = line_formset(channel_choices=channels, initial=raw_line_initial(formset), extra=1)
        return _render_editor(request, campaign=campaign, budget=budget, form=shown, formset=more, summary=summary)

    check_errors: list[str] = []
    form_ok, lines_ok = form.is_valid(), formset.is_valid()
    if form_ok and lines_ok:
        data = form.cleaned_data
        fields = {"total": data["total"], "reserve_pct": data["reserve_pct"], "note": data["note"]}
        try:
            if budget is None:
                saved = services.budget_create(actor=request.user, campaign=campaign, lines=formset.lines(), **fields)
            else:
                saved = services.budget_update(budget=budget, actor=request.user, lines=formset.lines(), **fields)
        except (Conflict, NotAllowed) as exc:
            fallback = reverse("budgets:detail", args=[budget.pk]) if budget else reverse("budgets:list")
            return refuse(request, exc, fallback)
        except ApplicationError as exc:
            for name, errors in exc.errors.items():
                if name == "total":
                    form.add_error("total", errors)
                else:  # the lines and the reserve: what budget_check says, shown above the lines
                    check_errors.extend(errors)
            if not exc.errors:
                check_errors.append(str(exc.message))
        else:
            if budget is None:
                messages.success(request, _("Draft budget saved. Check it, then submit it for sign-off."))
            else:
                messages.success(request, _("Draft saved."))
            return HttpResponseRedirect(reverse("budgets:detail", args=[saved.pk]))
    if not lines_ok:
        check_errors.extend(str(e) for e in formset.non_form_errors())
    return _render_editor(
        request,
        campaign=campaign,
        budget=budget,
        form=form,
        formset=formset,
        summary=summary,
        check_errors=check_errors,
        status=400,
    )


def startable_campaigns(user: Any):
    """Campaigns the user may budget (lead/deputy, or admin) that have no budget yet and are not over."""
    principal = principal_for(user)
    campaigns = (
        Campaign.objects.exclude(status__in=[CampaignStatus.CLOSED, CampaignStatus.CANCELLED])
        .exclude(Exists(Budget.objects.filter(campaign=OuterRef("pk"))))
        .order_by("start_date", "code")
    )
    if principal.is_admin:
        return campaigns
    managed = [team_id for team_id in principal.team_roles if principal.team_access(team_id) >= Access.MANAGE]
    return campaigns.filter(team_id__in=managed)


@login_required
@require_http_methods(["GET", "POST"])
def budget_create(request: HttpRequest) -> HttpResponse:
    """``?campaign=<id>``: the editor for the campaign's first budget; without it, a choice of campaigns."""
    if not request.GET.get("campaign"):
        campaigns = list(startable_campaigns(request.user).select_related("team")[:50])
        return render(request, "budgets/budget_start.html", {"campaigns": campaigns})
    campaign = get_campaign_for_user(request.user, request.GET["campaign"], need=Access.MANAGE)
    existing = Budget.objects.filter(campaign=campaign).order_by("-version").first()
    if existing is not None:
        messages.info(
            request,
            _("%(campaign)s already has a budget (version %(version)d); revise it instead of starting over.")
            % {"campaign": campaign.code, "version": existing.version},
        )
        return HttpResponseRedirect(reverse("budgets:detail", args=[existing.pk]))
    return _editor(request, campaign=campaign, budget=None)


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_budget_for_user(request.user, pk, need=Access.MANAGE)
    if budget.status != BudgetStatus.DRAFT:
        messages.error(
            request,
            _("Only a draft budget can be changed; this one is %(status)s.") % {"status": budget.get_status_display()},
        )
        return HttpResponseRedirect(reverse("budgets:detail", args=[budget.pk]))
    return _editor(request, campaign=budget.campaign, budget=budget)


# --- htmx fragments -------------------------------------------------------------------------------


@login_required
@require_GET
def line_row(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """One more empty line row (htmx "Add line"), numbered after the rows on the page, and the formset's new
    total sent out-of-band. Without htmx the editor's own "Add line" submit does the same."""
    campaign = get_campaign_for_user(request.user, campaign_pk, need=Access.MANAGE)
    try:
        index = int(request.GET.get(f"{LINES_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        index = 0
    index = max(index, 0)
    if index >= MAX_LINES:
        return HttpResponse(
            _("A budget has at most %(max)d lines.") % {"max": MAX_LINES},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    formset = line_formset(channel_choices=channel_choices(campaign))
    row = formset.form(
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        renderer=formset.renderer,
        **formset.get_form_kwargs(index),
    )
    formset.add_fields(row, index)  # the "remove" checkbox
    return render(request, f"{TEMPLATE}#line-row-added", {"row": row, "total_forms": index + 1})


@login_required
@require_POST
@vary_on_headers("HX-Request")
def editor_summary(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """The live summary for what the editor holds right now (htmx, on input). Saves nothing."""
    campaign = get_campaign_for_user(request.user, campaign_pk, need=Access.MANAGE)
    form = BudgetForm(request.POST)
    formset = line_formset(channel_choices=channel_choices(campaign), data=request.POST)
    return render(request, f"{TEMPLATE}#summary-response", {"summary": summary_from_post(form, formset)})


urlpatterns = [
    path("new/", budget_create, name="create"),
    path("<int:pk>/edit/", budget_edit, name="edit"),
    path("campaign/<int:campaign_pk>/editor/line-row/", line_row, name="line_row"),
    path("campaign/<int:campaign_pk>/editor/summary/", editor_summary, name="editor_summary"),
]
