"""The campaign "work" pages: tasks (list and board), the Gantt timeline, KPIs and channels.

Every view fetches the campaign through ``get_campaign_for_user`` (404 for
outsiders, 403 for read-only writers) and everything else *within* that
campaign. Writes go through ``campaigns.services``; field errors come back to
the form they belong to with status 400. htmx requests get only the fragment
they swap (``"template.html#partial"``); the same URLs work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import retarget

from core.errors import ApplicationError
from core.permissions import Access
from core.security import csp_update
from teams.models import User

from ..forms_work import (
    ChannelForm,
    DependencyForm,
    KpiForm,
    KpiReadingForm,
    TaskCreateForm,
    TaskForm,
    apply_errors,
)
from ..models import Campaign, Channel, Kpi, Phase, Task, TaskDependency, TaskStatus
from ..permissions import get_campaign_for_user
from ..schedule import CycleError
from ..selectors import KpiStatus, campaign_kpis, campaign_schedule, campaign_today
from ..services import (
    campaign_members,
    kpi_record_reading,
    task_add_dependency,
    task_delete,
    task_remove_dependency,
    task_save,
)

TASKS_PER_PAGE = 100
CARDS_PER_COLUMN = 50
BOARD_COLUMNS = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE)


# --- Helpers ---------------------------------------------------------------------------------


def _can_write(campaign: Campaign) -> bool:
    return campaign.access >= Access.WRITE


def _task_in(campaign: Campaign, task_pk: int) -> Task:
    """One task of the campaign (404 for any other task id)."""
    task = get_object_or_404(Task.objects.filter(campaign=campaign).select_related("owner", "phase"), pk=task_pk)
    task.campaign = campaign  # already loaded, with the user's access on it
    return task


def _members(campaign: Campaign) -> list[User]:
    """The people who may own the campaign's tasks (team leads, deputies, members)."""
    return list(User.objects.filter(campaign_members(campaign), is_active=True).distinct().order_by("display_name"))


def _phases(campaign: Campaign) -> list[Phase]:
    return list(Phase.objects.filter(campaign=campaign))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _with_predecessors(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.select_related("owner", "phase").prefetch_related(
        Prefetch("depends_on", queryset=Task.objects.only("id", "title").order_by("start_date", "id"))
    )


# --- Tasks: list and board --------------------------------------------------------------------


def _task_filters(request: HttpRequest, phases: list[Phase]) -> dict[str, Any]:
    """The list/board filters from the query string, invalid values ignored."""
    phase_ids = {str(p.pk) for p in phases}
    phase = request.GET.get("phase", "")
    status = request.GET.get("status", "")
    return {
        "view": "board" if request.GET.get("view") == "board" else "list",
        "phase": phase if phase in phase_ids or phase == "none" else "",
        "status": status if status in TaskStatus.values else "",
        "mine": request.GET.get("mine") == "1",
        "late": request.GET.get("late") == "1",
    }


def _filter_query(filters: dict[str, Any], **override: Any) -> str:
    values = {**filters, **override}
    pairs = [("view", values["view"])]
    for key in ("phase", "status"):
        if values[key]:
            pairs.append((key, values[key]))
    for key in ("mine", "late"):
        if values[key]:
            pairs.append((key, "1"))
    return urlencode(pairs)


def _filtered_tasks(campaign: Campaign, filters: dict[str, Any], user: Any, today: dt.date) -> QuerySet[Task]:
    qs = Task.objects.filter(campaign=campaign)
    if filters["phase"] == "none":
        qs = qs.filter(phase__isnull=True)
    elif filters["phase"]:
        qs = qs.filter(phase_id=int(filters["phase"]))
    if filters["status"] and filters["view"] == "list":
        qs = qs.filter(status=filters["status"])
    if filters["mine"]:
        qs = qs.filter(owner=user)
    if filters["late"]:
        qs = qs.exclude(status=TaskStatus.DONE).filter(due_date__lt=today)
    return qs


def _row(
    campaign: Campaign,
    task: Task,
    form: TaskForm | None,
    *,
    members: list[User],
    phases: list[Phase],
    today: dt.date,
    can_write: bool,
) -> dict[str, Any]:
    """What a row of the task table shows: the task, whether it is late, and (for writers) its inline form."""
    row: dict[str, Any] = {"task": task, "late": task.is_late(today)}
    if can_write:
        form = form or TaskForm(
            TaskForm.initial_for(task),
            members=members,
            phases=phases,
            current_owner=task.owner,
            auto_id=f"task-{task.pk}-%s",
        )
        url = reverse("campaigns:task_update", args=[campaign.pk, task.pk])
        row["form"] = form.make_inline(form_id=f"task-{task.pk}-form", url=url, task_title=task.title)
        row["update_url"] = url
    return row


def _board(campaign: Campaign, filters: dict[str, Any], user: Any, today: dt.date) -> list[dict[str, Any]]:
    """The four status columns, each with its first cards and its total (five queries, however many tasks)."""
    qs = _filtered_tasks(campaign, filters, user, today)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    columns = []
    for status in BOARD_COLUMNS:
        cards = list(qs.filter(status=status).select_related("owner").order_by("due_date", "id")[:CARDS_PER_COLUMN])
        for card in cards:
            card.late = card.is_late(today)
        total = counts.get(status, 0)
        columns.append(
            {
                "status": status,
                "label": TaskStatus(status).label,
                "cards": cards,
                "total": total,
                "more": total - len(cards),
                "list_query": _filter_query(filters, view="list", status=status),
            }
        )
    return columns


def _tasks_context(
    request: HttpRequest,
    campaign: Campaign,
    *,
    create_form: TaskCreateForm | None = None,
) -> dict[str, Any]:
    today = campaign_today(campaign)
    phases = _phases(campaign)
    filters = _task_filters(request, phases)
    can_write = _can_write(campaign)
    members = _members(campaign) if can_write else []
    filter_query = _filter_query(filters)
    context: dict[str, Any] = {
        "campaign": campaign,
        "active_tab": "tasks",
        "today": today,
        "filters": filters,
        "filter_query": filter_query,
        "list_query": _filter_query(filters, view="list"),
        "board_query": _filter_query(filters, view="board"),
        "back_url": reverse("campaigns:tasks", args=[campaign.pk]) + "?" + filter_query,
        "phases": phases,
        "status_choices": TaskStatus.choices,
        "can_write": can_write,
        "filtered": bool(filters["phase"] or filters["status"] or filters["mine"] or filters["late"]),
    }
    if filters["view"] == "board":
        context["columns"] = _board(campaign, filters, request.user, today)
    else:
        qs = _with_predecessors(_filtered_tasks(campaign, filters, request.user, today))
        page = Paginator(qs, TASKS_PER_PAGE).get_page(request.GET.get("page"))
        context["page"] = page
        context["rows"] = [
            _row(campaign, t, None, members=members, phases=phases, today=today, can_write=can_write)
            for t in page.object_list
        ]
        context["page_extra"] = "&" + filter_query
    if can_write:
        context["create_form"] = create_form or TaskCreateForm(
            members=members, phases=phases, default_start=max(today, campaign.start_date)
        )
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's tasks as a table (``?view=list``, 100 a page) or a status board (``?view=board``)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    context = _tasks_context(request, campaign)
    template = "campaigns/work_tasks.html"
    if request.htmx:
        template += "#task-board" if context["filters"]["view"] == "board" else "#task-results"
    return render(request, template, context)


@login_required
@require_POST
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    members, phases = _members(campaign), _phases(campaign)
    form = TaskCreateForm(request.POST, members=members, phases=phases)
    if form.is_valid():
        try:
            task = task_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
            return HttpResponseRedirect(_safe_next(request, reverse("campaigns:tasks", args=[campaign.pk])))
    context = _tasks_context(request, campaign, create_form=form)
    context["create_open"] = True
    return render(request, "campaigns/work_tasks.html", context, status=400)


def _dependency_context(campaign: Campaign, task: Task, *, form: DependencyForm | None = None) -> dict[str, Any]:
    """The task's predecessors and, for writers, the form to add one from the campaign's other tasks."""
    predecessors = list(
        Task.objects.filter(campaign=campaign, successor_links__successor=task).order_by("start_date", "id")
    )
    context: dict[str, Any] = {"dep_task": task, "predecessors": predecessors, "can_write": _can_write(campaign)}
    if context["can_write"]:
        taken = {p.pk for p in predecessors} | {task.pk}
        candidates = [
            (pk, title)
            for pk, title in Task.objects.filter(campaign=campaign)
            .order_by("start_date", "id")
            .values_list("pk", "title")
            if pk not in taken
        ]
        if form is None:
            form = DependencyForm(candidates=candidates, auto_id=f"deps-{task.pk}-%s")
        else:  # keep the posted value and its error, offer what is still free
            form.fields["predecessor"].choices = [form.fields["predecessor"].choices[0], *candidates]
        context["dependency_form"] = form
    return context


def _task_page_context(
    campaign: Campaign,
    task: Task,
    *,
    form: TaskForm | None = None,
    dependency_form: DependencyForm | None = None,
) -> dict[str, Any]:
    today = campaign_today(campaign)
    context = {
        "campaign": campaign,
        "active_tab": "tasks",
        "task": task,
        "late": task.is_late(today),
        "today": today,
        "back_url": reverse("campaigns:tasks", args=[campaign.pk]),
        "task_url": reverse("campaigns:task_detail", args=[campaign.pk, task.pk]),
    }
    context.update(_dependency_context(campaign, task, form=dependency_form))
    if context["can_write"]:
        context["form"] = form or TaskForm(
            TaskForm.initial_for(task), members=_members(campaign), phases=_phases(campaign), current_owner=task.owner
        )
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_detail(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """One task: its full edit form and its dependency editor (htmx asks for the editor alone)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task = _task_in(campaign, task_pk)
    if request.htmx:
        context = {"campaign": campaign, **_dependency_context(campaign, task)}
        return render(request, "campaigns/work_task.html#dependency-editor", context)
    return render(request, "campaigns/work_task.html", _task_page_context(campaign, task))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_update(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Change some of a task's fields: a row of the list, a card of the board, or the task page's form.
    Only the fields that were posted and differ are saved, so a stale row does not undo others' edits."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = _task_in(campaign, task_pk)
    members, phases = _members(campaign), _phases(campaign)
    auto_id = f"task-{task.pk}-%s" if request.htmx else "id_%s"
    form, posted = TaskForm.for_task(task, request.POST, members=members, phases=phases, auto_id=auto_id)
    if form.is_valid() and posted:
        try:
            changes = form.changes(task, posted)
            if changes:
                task_save(campaign=campaign, actor=request.user, task=task, **changes)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return _task_updated(request, campaign, task_pk, members=members, phases=phases)
    elif not posted:
        form.add_error(None, _("Nothing to change was sent."))
    # Refused: the task as the database has it, the form with what was sent and why it was refused.
    today = campaign_today(campaign)
    task = _with_predecessors(Task.objects.filter(campaign=campaign, pk=task_pk)).get()
    if not request.htmx:
        return render(request, "campaigns/work_task.html", _task_page_context(campaign, task, form=form), status=400)
    if request.GET.get("view") == "board":
        task.late = task.is_late(today)
        context = {
            "campaign": campaign,
            "task": task,
            "can_write": True,
            "card_errors": [e for errors in form.errors.values() for e in errors],
            "filter_query": request.GET.urlencode(),
            "back_url": reverse("campaigns:tasks", args=[campaign.pk]) + "?" + request.GET.urlencode(),
            "status_choices": TaskStatus.choices,
        }
        response = render(request, "campaigns/work_tasks.html#task-card", context, status=400)
        return retarget(response, f"#task-card-{task.pk}")
    row = _row(campaign, task, form, members=members, phases=phases, today=today, can_write=True)
    context = {"campaign": campaign, "row": row, "can_write": True, "back_url": _safe_next(request, "")}
    return render(request, "campaigns/work_tasks.html#task-row", context, status=400)


def _task_updated(
    request: HttpRequest, campaign: Campaign, task_pk: int, *, members: list[User], phases: list[Phase]
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, _("Task saved."))
        return HttpResponseRedirect(_safe_next(request, reverse("campaigns:tasks", args=[campaign.pk])))
    if request.GET.get("view") == "board":
        # The card may belong in another column now: redraw the board with the filters it was drawn with.
        return render(request, "campaigns/work_tasks.html#task-board", _tasks_context(request, campaign))
    task = _with_predecessors(Task.objects.filter(campaign=campaign, pk=task_pk)).get()
    row = _row(campaign, task, None, members=members, phases=phases, today=campaign_today(campaign), can_write=True)
    context = {"campaign": campaign, "row": row, "can_write": True, "back_url": _safe_next(request, "")}
    return render(request, "campaigns/work_tasks.html#task-row", context)


@login_required
@require_POST
def task_remove(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = _task_in(campaign, task_pk)
    title = task.title
    task_delete(task=task, actor=request.user)
    messages.success(request, _("Task “%(title)s” deleted.") % {"title": title})
    return HttpResponseRedirect(reverse("campaigns:tasks", args=[campaign.pk]))


# --- Dependencies ------------------------------------------------------------------------------


def _dependency_response(
    request: HttpRequest, campaign: Campaign, task: Task, *, form: DependencyForm | None = None, status: int = 200
) -> HttpResponse:
    if request.htmx:
        context = {"campaign": campaign, "can_write": True, **_dependency_context(campaign, task, form=form)}
        return render(request, "campaigns/work_task.html#dependency-editor", context, status=status)
    if status == 200:
        url = reverse("campaigns:task_detail", args=[campaign.pk, task.pk])
        return HttpResponseRedirect(_safe_next(request, url + "#dependencies"))
    context = _task_page_context(campaign, task, dependency_form=form)
    return render(request, "campaigns/work_task.html", context, status=status)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def dependency_add(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Make the task wait for another task of the campaign; a cycle is refused, naming it."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = _task_in(campaign, task_pk)
    candidates = list(Task.objects.filter(campaign=campaign).exclude(pk=task.pk).values_list("pk", "title"))
    form = DependencyForm(request.POST, candidates=candidates, auto_id=f"deps-{task.pk}-%s")
    if form.is_valid():
        predecessor = _task_in(campaign, form.cleaned_data["predecessor"])
        try:
            task_add_dependency(task=task, predecessor=predecessor, actor=request.user)
        except ApplicationError as exc:
            for messages_ in exc.errors.values():
                form.add_error("predecessor", messages_)
            if not exc.errors:
                form.add_error("predecessor", str(exc.message))
        else:
            if not request.htmx:
                messages.success(
                    request,
                    _("“%(task)s” now waits for “%(predecessor)s”.")
                    % {"task": task.title, "predecessor": predecessor.title},
                )
            return _dependency_response(request, campaign, task)
    return _dependency_response(request, campaign, task, form=form, status=400)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def dependency_remove(request: HttpRequest, pk: int, task_pk: int, predecessor_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = _task_in(campaign, task_pk)
    task_remove_dependency(task=task, predecessor_id=predecessor_pk, actor=request.user)
    return _dependency_response(request, campaign, task)


# --- Gantt timeline ---------------------------------------------------------------------------


@login_required
@require_GET
# Frappe Gantt writes style attributes on its SVG (weekend shading, the hatch pattern): allowed on this page only.
@csp_update(style_src_attr=["'unsafe-inline'"])
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    """Tasks as Frappe Gantt bars (critical path highlighted) and the CPM schedule as a table."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    today = campaign_today(campaign)
    rows = list(
        Task.objects.filter(campaign=campaign)
        .order_by("start_date", "due_date", "id")
        .values_list("pk", "title", "start_date", "due_date", "status", "progress")
    )
    edges = list(
        TaskDependency.objects.filter(successor__campaign=campaign).values_list("predecessor_id", "successor_id")
    )
    context: dict[str, Any] = {"campaign": campaign, "active_tab": "gantt", "today": today, "task_count": len(rows)}
    try:
        schedule = campaign_schedule(campaign=campaign, today=today)
    except CycleError:  # the services refuse cycles; this only guards against data written around them
        context["cycle_error"] = True
        return render(request, "campaigns/work_gantt.html", context)
    times = schedule.by_task()
    predecessors: dict[int, list[int]] = {}
    for pred, succ in edges:
        predecessors.setdefault(succ, []).append(pred)
    data, table = [], []
    for task_pk, title, start, due, status, progress in rows:
        t = times[task_pk]
        preds = sorted(predecessors.get(task_pk, []))
        # A link is on the critical path when both ends are critical and nothing separates them.
        critical_links = [
            p
            for p in preds
            if t.critical and times[p].critical and (t.earliest_start - times[p].earliest_finish).days == 1
        ]
        data.append(
            {
                "id": f"t{task_pk}",
                "name": title,
                "start": start.isoformat(),
                "end": due.isoformat(),
                "progress": 100 if status == TaskStatus.DONE else progress,
                "dependencies": ", ".join(f"t{p}" for p in preds),
                "custom_class": "critical" if t.critical else "",
                "critical_dependencies": [f"t{p}" for p in critical_links],
            }
        )
        table.append(
            {
                "pk": task_pk,
                "title": title,
                "times": t,
                "late": status != TaskStatus.DONE and due < today,
                "status": TaskStatus(status).label,
            }
        )
    table.sort(key=lambda r: (r["times"].earliest_start, r["times"].earliest_finish, r["pk"]))
    slip = (schedule.projected_end - schedule.end).days if schedule.end and schedule.projected_end else 0
    context.update(
        {
            "data": data,
            "table": table,
            "schedule": schedule,
            "slip_days": slip,
            "critical_count": len(schedule.critical_path),
        }
    )
    return render(request, "campaigns/work_gantt.html", context)


# --- KPIs ------------------------------------------------------------------------------------


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
    status.reading_form = form or KpiReadingForm(initial={"date": today}, auto_id=f"kpi-{kpi.pk}-%s")
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
        "can_write": _can_write(campaign),
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
            with transaction.atomic():
                kpi = form.save()
        except IntegrityError:  # someone added the same name a moment ago
            form.add_error("name", _("This campaign has a KPI with this name already."))
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
    form = KpiReadingForm(request.POST, auto_id=f"kpi-{kpi.pk}-%s")
    status_code = 400
    if form.is_valid():
        try:
            kpi_record_reading(kpi=kpi, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
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


# --- Channels ---------------------------------------------------------------------------------


def _channels_context(campaign: Campaign, *, form: ChannelForm | None = None) -> dict[str, Any]:
    can_write = _can_write(campaign)
    context = {
        "campaign": campaign,
        "active_tab": "channels",
        "channels": list(Channel.objects.filter(campaign=campaign)),
        "can_write": can_write,
    }
    if can_write:
        context["form"] = form or ChannelForm(campaign=campaign)
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def channels(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    template = "campaigns/work_channels.html#channel-list" if request.htmx else "campaigns/work_channels.html"
    return render(request, template, _channels_context(campaign))


@login_required
@require_POST
def channel_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    form = ChannelForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            with transaction.atomic():
                channel = form.save()
        except IntegrityError:
            form.add_error("name", _("This campaign has a channel with this name already."))
        else:
            messages.success(request, _("Channel “%(name)s” added.") % {"name": channel.name})
            return HttpResponseRedirect(reverse("campaigns:channels", args=[campaign.pk]))
    return render(request, "campaigns/work_channels.html", _channels_context(campaign, form=form), status=400)


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int, channel_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    channel = get_object_or_404(Channel.objects.filter(campaign=campaign), pk=channel_pk)
    name = channel.name
    channel.delete()
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": name})
    return HttpResponseRedirect(reverse("campaigns:channels", args=[campaign.pk]))


urlpatterns = [
    path("<int:pk>/tasks/", tasks, name="tasks"),
    path("<int:pk>/tasks/add/", task_create, name="task_create"),
    path("<int:pk>/tasks/<int:task_pk>/", task_detail, name="task_detail"),
    path("<int:pk>/tasks/<int:task_pk>/update/", task_update, name="task_update"),
    path("<int:pk>/tasks/<int:task_pk>/delete/", task_remove, name="task_delete"),
    path("<int:pk>/tasks/<int:task_pk>/dependencies/add/", dependency_add, name="task_dependency_add"),
    path(
        "<int:pk>/tasks/<int:task_pk>/dependencies/<int:predecessor_pk>/remove/",
        dependency_remove,
        name="task_dependency_remove",
    ),
    path("<int:pk>/timeline/", gantt, name="gantt"),
    path("<int:pk>/kpis/", kpis, name="kpis"),
    path("<int:pk>/kpis/add/", kpi_create, name="kpi_create"),
    path("<int:pk>/kpis/<int:kpi_pk>/readings/", kpi_reading_record, name="kpi_reading_record"),
    path("<int:pk>/channels/", channels, name="channels"),
    path("<int:pk>/channels/add/", channel_create, name="channel_create"),
    path("<int:pk>/channels/<int:channel_pk>/delete/", channel_delete, name="channel_delete"),
]
