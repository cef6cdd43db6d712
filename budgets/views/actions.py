"""Writes from the budget pages: submit, withdraw, revise, sign, record an expense. Each is a POST that calls one
service; a refusal comes back as a message (or the form again, with the reason next to the field, and a 400)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, Conflict, NotAllowed
from core.formatting import cny_text
from core.permissions import Access, principal_for
from core.web import apply_service_errors

from .. import services
from ..checklists import CHECKLISTS
from ..forms import ExpenseForm, SignoffForm
from ..models import Budget, BudgetStatus, Decision, SignoffRole
from ..permissions import get_budget_for_user
from ..selectors import budget_left_review, late_signoff_conflict, lines_with_spent
from .common import refuse
from .pages import detail_response, queue_response


def _name_items(message: str, role: str) -> str:
    """The service names checklist items by code (as the API does); a person reads their wording instead."""
    for code, label in CHECKLISTS[SignoffRole(role)]:
        message = re.sub(rf"\b{re.escape(code)}\b", f"“{label}”", message)
    return message


def _detail_url(budget: Budget) -> str:
    return reverse("budgets:detail", args=[budget.pk])


@login_required
@require_POST
def budget_submit(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_budget_for_user(request.user, pk, need=Access.MANAGE)
    try:
        budget = services.budget_submit(budget=budget, actor=request.user)
    except ApplicationError as exc:  # a conflict, or the lines no longer add up: say why, stay a draft
        return refuse(request, exc, _detail_url(budget))
    messages.success(
        request,
        _("%(budget)s is in review. Finance, marketing and tech approvers have been asked to sign it.")
        % {"budget": budget},
    )
    return HttpResponseRedirect(_detail_url(budget))


@login_required
@require_POST
def budget_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_budget_for_user(request.user, pk, need=Access.MANAGE)
    try:
        budget = services.budget_withdraw(budget=budget, actor=request.user)
    except ApplicationError as exc:
        return refuse(request, exc, _detail_url(budget))
    messages.success(request, _("%(budget)s is a draft again; edit it and submit it when ready.") % {"budget": budget})
    return HttpResponseRedirect(_detail_url(budget))


@login_required
@require_POST
def budget_revise(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_budget_for_user(request.user, pk, need=Access.MANAGE)
    try:
        draft = services.budget_revise(budget=budget, actor=request.user)
    except ApplicationError as exc:
        return refuse(request, exc, _detail_url(budget))
    messages.success(
        request,
        _("Version %(new)d is a draft copy of version %(old)d. Change it, then submit it for a new round of sign-off.")
        % {"new": draft.version, "old": budget.version},
    )
    return HttpResponseRedirect(reverse("budgets:edit", args=[draft.pk]))


@login_required
@require_POST
def budget_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject as one approver role. Who may sign what is the service's rule (SPEC 4, rules 1–6);
    someone holding no approver role at all is simply not a signer (403)."""
    try:
        budget = get_budget_for_user(request.user, pk)
    except Http404:
        late = budget_left_review(user=request.user, pk=pk)
        if late is None:
            raise
        return refuse(request, late_signoff_conflict(late), reverse("budgets:queue"))
    if not principal_for(request.user).approver_roles:
        raise PermissionDenied(_("Only finance, marketing and tech approvers sign budgets."))
    from_queue = request.POST.get("next") == "queue"
    back = reverse("budgets:queue") if from_queue else _detail_url(budget)
    form = SignoffForm(request.POST)
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.signoff_record(
                budget=budget,
                signer=request.user,
                role=data["role"],
                decision=data["decision"],
                comment=data["comment"],
                checklist=form.answers(),
            )
        except (Conflict, NotAllowed) as exc:
            return refuse(request, exc, back)
        except ApplicationError as exc:
            errors = exc.errors or {"__all__": [str(exc.message)]}
            if "checklist" in errors:
                errors["checklist"] = [_name_items(m, data["role"]) for m in errors["checklist"]]
        else:
            status = Budget.objects.values_list("status", flat=True).get(pk=budget.pk)
            role = SignoffRole(data["role"]).label
            if data["decision"] == Decision.REJECT:
                text = _("You rejected %(budget)s as %(role)s. The lead has been told; a revision starts a new round.")
            elif status == BudgetStatus.APPROVED:
                text = _("You approved %(budget)s as %(role)s. All three roles have approved: the budget is approved.")
            else:
                text = _("You approved %(budget)s as %(role)s. It waits for the other roles.")
            messages.success(request, text % {"budget": budget, "role": role})
            return HttpResponseRedirect(back)
    else:
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    if request.POST.get("role") not in SignoffRole.values:  # nothing to show the errors next to
        return refuse(request, ApplicationError(errors=errors), back)
    failed = {
        "budget": budget.pk,
        "role": request.POST["role"],
        "ticked": request.POST.getlist("checklist"),
        "comment": request.POST.get("comment", ""),
        "decision": request.POST.get("decision", ""),
        "errors": errors,
    }
    if from_queue:
        return queue_response(request, failed_sign=failed, status=400)
    return detail_response(request, budget, failed_sign=failed, status=400)


@login_required
@require_POST
def expense_add(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_budget_for_user(request.user, pk, need=Access.MANAGE)
    lines = lines_with_spent(budget)
    form = ExpenseForm(request.POST, lines=lines)
    if form.is_valid():
        data = form.cleaned_data
        line = form.line_object()
        try:
            services.expense_record(
                line=line,
                actor=request.user,
                amount=data["amount"],
                date=data["date"],
                description=data["description"],
            )
        except (Conflict, NotAllowed) as exc:
            return refuse(request, exc, _detail_url(budget))
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded %(amount)s against %(line)s.")
                % {"amount": cny_text(data["amount"]), "line": line.get_category_display()},
            )
            return HttpResponseRedirect(f"{_detail_url(budget)}#lines")
    return detail_response(request, budget, expense_form=form, status=400)


urlpatterns = [
    path("<int:pk>/submit/", budget_submit, name="submit"),
    path("<int:pk>/withdraw/", budget_withdraw, name="withdraw"),
    path("<int:pk>/revise/", budget_revise, name="revise"),
    path("<int:pk>/sign/", budget_sign, name="sign"),
    path("<int:pk>/expenses/", expense_add, name="expense_add"),
]
