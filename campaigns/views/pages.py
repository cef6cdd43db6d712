"""The main campaign pages: list, create, overview, header edit, lifecycle, copy, save as playbook,
and the plan (phases and milestones). Thin views: a form parses, a service decides, a template renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.errors import ApplicationError
from core.permissions import Access, parse_pk
from core.web import apply_service_errors
from teams.selectors import team_list

from .. import selectors, services
from ..forms.campaign import (
    CampaignCopyForm,
    CampaignCreateForm,
    CampaignEditForm,
    CampaignFilterForm,
    MilestoneDoneForm,
    MilestoneForm,
    PhaseForm,
    PlaybookSaveForm,
    TransitionForm,
    creatable_teams,
)
from ..models import Campaign, Milestone, Phase
from ..permissions import campaign_abilities, get_campaign_for_user

PAGE_SIZE = 25


def _redirect(name: str, *args: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args))


# --- List and create ----------------------------------------------------------------------------


@login_required
@require_GET
def campaign_index(request: HttpRequest) -> HttpResponse:
    teams = team_list(user=request.user).filter(parent__isnull=True)
    form = CampaignFilterForm(request.GET or None, teams=teams)
    filters = form.filters()
    page = Paginator(selectors.campaign_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    creatable = list(creatable_teams(request.user).values_list("pk", flat=True)[:1])
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "extra": f"&{query.urlencode()}" if query else "",
            "can_create": bool(creatable),
        },
    )


def _playbook_options(playbooks: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "playbook": pb,
            "phases": [p["name"] for p in pb.definition.get("phases", [])],
            "milestones": len(pb.definition.get("milestones", [])),
            "tasks": len(pb.definition.get("tasks", [])),
        }
        for pb in playbooks
    ]


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not creatable_teams(request.user).exists():
        raise PermissionDenied(_("Only a lead or deputy of a team can create its campaigns."))
    playbooks = selectors.playbook_list(user=request.user)
    form = CampaignCreateForm(request.POST or None, user=request.user, playbooks=playbooks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "actor": request.user,
            "team": data["team"],
            "code": data["code"],
            "name": data["name"],
            "objective": data["objective"],
            "start_date": data["start_date"],
            "lead": data["lead"],
        }
        try:
            if data["playbook"]:
                campaign = services.campaign_create_from_playbook(playbook=data["playbook"], **common)
            else:
                campaign = services.campaign_create(end_date=data["end_date"], **common)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Campaign %(code)s created.") % {"code": campaign.code})
            return _redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "playbook_options": _playbook_options(list(playbooks))},
        status=400 if request.method == "POST" else 200,
    )


# --- One campaign -------------------------------------------------------------------------------


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.MANAGE)
    form = CampaignEditForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Campaign saved."))
            return _redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign, **campaign_abilities(campaign)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def campaign_transition(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.MANAGE)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return _redirect("campaigns:detail", campaign.pk)
    try:
        campaign = services.campaign_transition(
            campaign=campaign, actor=request.user, status=form.cleaned_data["status"]
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message) if not exc.errors else " ".join(sum(exc.errors.values(), [])))
    else:
        messages.success(request, _("The campaign is now %(status)s.") % {"status": campaign.get_status_display()})
    return _redirect("campaigns:detail", campaign.pk)


@login_required
def campaign_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a campaign the user can read into a task force they lead, every date shifted."""
    campaign = get_campaign_for_user(request.user, pk)
    teams = creatable_teams(request.user)
    if not teams.exists():
        raise PermissionDenied(_("Only a lead or deputy of a team can create campaigns."))
    form = CampaignCopyForm(
        request.POST or None,
        teams=teams,
        initial={"name": campaign.name, "code": f"{campaign.code}-COPY"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            copy = services.campaign_copy(
                actor=request.user,
                source=campaign,
                code=data["code"],
                name=data["name"],
                start_date=data["start_date"],
                team=data["team"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(
                request, _("Copied %(source)s as %(code)s.") % {"source": campaign.code, "code": copy.code}
            )
            return _redirect("campaigns:detail", copy.pk)
    return render(
        request,
        "campaigns/pages_copy.html",
        {"campaign": campaign, "form": form, **campaign_abilities(campaign)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def campaign_save_playbook(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.MANAGE)
    form = PlaybookSaveForm(request.POST or None, initial={"name": campaign.name})
    if request.method == "POST" and form.is_valid():
        try:
            playbook = services.playbook_save_from_campaign(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(
                request,
                _("Saved as the playbook “%(name)s”. Your team is offered it when creating a campaign.")
                % {"name": playbook.name},
            )
            return _redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/pages_save_playbook.html",
        {"campaign": campaign, "form": form, **campaign_abilities(campaign)},
        status=400 if request.method == "POST" else 200,
    )


# --- Plan: phases and milestones ------------------------------------------------------------------


def _plan_context(
    campaign: Campaign,
    *,
    phase_form: PhaseForm | None = None,
    milestone_form: MilestoneForm | None = None,
) -> dict[str, Any]:
    today = selectors.campaign_today(campaign)
    phases = selectors.campaign_phases(campaign=campaign, today=today)
    phase_qs = Phase.objects.filter(campaign=campaign)
    next_order = max((ps.phase.order for ps in phases), default=0) + 1
    return {
        "campaign": campaign,
        "active_tab": "plan",
        **campaign_abilities(campaign),
        "today": today,
        "phases": [selectors.phase_row(ps) for ps in phases],
        "phase_form": phase_form or PhaseForm(next_order=next_order, auto_id="id_phase_%s"),
        "milestone_form": milestone_form or MilestoneForm(phases=phase_qs, auto_id="id_milestone_%s"),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def campaign_plan(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk)
    template = "campaigns/campaign_plan.html#phase-list" if request.htmx else "campaigns/campaign_plan.html"
    return render(request, template, _plan_context(campaign))


def _plan_part(model: type, campaign: Campaign, user: Any, pk: Any) -> Any:
    obj = selectors.visible_parts(model, user=user, campaign_id=campaign.pk).filter(pk=parse_pk(pk)).first()
    if obj is None:
        raise Http404(_("Not found."))
    return obj


@login_required
@require_POST
def phase_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    form = PhaseForm(request.POST, auto_id="id_phase_%s")
    if form.is_valid():
        try:
            phase = services.phase_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Phase “%(name)s” added.") % {"name": phase.name})
            return _redirect("campaigns:plan", campaign.pk)
    return render(request, "campaigns/campaign_plan.html", _plan_context(campaign, phase_form=form), status=400)


@login_required
def phase_edit(request: HttpRequest, pk: int, phase_id: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    phase = _plan_part(Phase, campaign, request.user, phase_id)
    form = PhaseForm(request.POST or None, phase=phase)
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_save(campaign=campaign, actor=request.user, phase=phase, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Phase “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
            return _redirect("campaigns:plan", campaign.pk)
    return render(
        request,
        "campaigns/pages_phase_form.html",
        {"campaign": campaign, "active_tab": "plan", "phase": phase, "form": form, **campaign_abilities(campaign)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    form = MilestoneForm(request.POST, phases=Phase.objects.filter(campaign=campaign), auto_id="id_milestone_%s")
    if form.is_valid():
        try:
            milestone = services.milestone_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Milestone “%(name)s” added.") % {"name": milestone.name})
            return _redirect("campaigns:plan", campaign.pk)
    return render(request, "campaigns/campaign_plan.html", _plan_context(campaign, milestone_form=form), status=400)


@login_required
def milestone_edit(request: HttpRequest, pk: int, milestone_id: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    milestone = _plan_part(Milestone, campaign, request.user, milestone_id)
    form = MilestoneForm(request.POST or None, phases=Phase.objects.filter(campaign=campaign), milestone=milestone)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_save(campaign=campaign, actor=request.user, milestone=milestone, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc, request=request)
        else:
            messages.success(request, _("Milestone “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
            return _redirect("campaigns:plan", campaign.pk)
    return render(
        request,
        "campaigns/pages_milestone_form.html",
        {
            "campaign": campaign,
            "active_tab": "plan",
            "milestone": milestone,
            "form": form,
            **campaign_abilities(campaign),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
@vary_on_headers("HX-Request")
def milestone_done(request: HttpRequest, pk: int, milestone_id: int) -> HttpResponse:
    """Tick a milestone done (or undo it). htmx gets the refreshed phase list, since health lights move too."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    milestone = _plan_part(Milestone, campaign, request.user, milestone_id)
    form = MilestoneDoneForm(request.POST)
    form.is_valid()
    done = form.cleaned_data.get("done", False)
    problem = None
    try:
        services.milestone_save(campaign=campaign, actor=request.user, milestone=milestone, done=done)
    except ApplicationError as exc:
        problem = str(exc.message) if not exc.errors else " ".join(sum(exc.errors.values(), []))
    if request.htmx:
        # The list is swapped in place; a problem is shown inside it rather than as a flash message.
        context = {**_plan_context(campaign), "plan_problem": problem}
        return render(request, "campaigns/campaign_plan.html#phase-list", context)
    if problem:
        messages.error(request, problem)
    else:
        text = _("Milestone “%(name)s” marked done.") if done else _("Milestone “%(name)s” reopened.")
        messages.success(request, text % {"name": milestone.name})
    return _redirect("campaigns:plan", campaign.pk)


urlpatterns: list = [
    path("", campaign_index, name="list"),
    path("new/", campaign_create, name="create"),
    path("<int:pk>/edit/", campaign_edit, name="edit"),
    path("<int:pk>/transition/", campaign_transition, name="transition"),
    path("<int:pk>/copy/", campaign_copy, name="copy"),
    path("<int:pk>/save-as-playbook/", campaign_save_playbook, name="save_playbook"),
    path("<int:pk>/plan/", campaign_plan, name="plan"),
    path("<int:pk>/plan/phases/", phase_add, name="phase_add"),
    path("<int:pk>/plan/phases/<int:phase_id>/edit/", phase_edit, name="phase_edit"),
    path("<int:pk>/plan/milestones/", milestone_add, name="milestone_add"),
    path("<int:pk>/plan/milestones/<int:milestone_id>/edit/", milestone_edit, name="milestone_edit"),
    path("<int:pk>/plan/milestones/<int:milestone_id>/done/", milestone_done, name="milestone_done"),
]
