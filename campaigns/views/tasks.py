"""Tasks of a campaign: the list (inline htmx edits, 100 a page) and the status board, one task's page, and
the dependency editor. Writes go through campaigns.services; a refused write answers 400 with the form and why."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import retarget

from core.errors import ApplicationError
from core.pagecache import shared_parts
from core.permissions import Access
from core.web import apply_service_errors, safe_next
from teams.models import User

from .. import services
from ..activity import task_activity
from ..discussion import comment_editable, mention_candidates, task_attachments, task_comments, task_watcher_ids
from ..forms.work import CommentForm, DependencyForm, TaskCreateForm, TaskForm
from ..models import Campaign, Phase, Task, TaskStatus
from ..permissions import campaign_read_again, get_campaign_for_user
from ..selectors import campaign_today
from ._common import members_of, phases_of, task_in, with_predecessors, writable
from .activity import rows

TASKS_PER_PAGE = 100
TASK_ACTIVITY_SHOWN = 10


CARDS_PER_COLUMN = 50


BOARD_COLUMNS = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE)


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
    phases = phases_of(campaign)
    filters = _task_filters(request, phases)
    can_write = writable(campaign)
    members = members_of(campaign) if can_write else []
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
        context["shared_results"] = _shared_results(request, campaign, context)["results"]
    if can_write:
        context["create_form"] = create_form or TaskCreateForm(
            members=members, phases=phases, default_start=max(today, campaign.start_date)
        )
    return context


def _shared_results(request: HttpRequest, campaign: Campaign, frame: dict[str, Any]) -> dict[str, SafeString]:
    """The list's table (``#task-results``): the same for every reader with the same write access, filters and page
    (and, for "mine", the same reader), so a shared part (``core.pagecache.shared_parts``) built from the database
    alone — the rows' inline forms included, each reader's CSRF token put in on the way out."""
    filters, today, can_write = frame["filters"], frame["today"], frame["can_write"]
    mine = request.user if filters["mine"] else None
    page_number = request.GET.get("page")
    audience = (
        campaign.pk, can_write, frame["filter_query"], page_number or "", today.isoformat(),
        f"user:{request.user.pk}" if mine is not None else "",
    )  # fmt: skip

    def build(csrf_token: str) -> dict[str, str]:
        fresh = campaign_read_again(campaign)
        phases = phases_of(fresh)
        members = members_of(fresh) if can_write else []
        qs = with_predecessors(_filtered_tasks(fresh, filters, mine, today))
        page = Paginator(qs, TASKS_PER_PAGE).get_page(page_number)
        context = {
            **frame,
            "campaign": fresh,
            "page": page,
            "rows": [
                _row(fresh, t, None, members=members, phases=phases, today=today, can_write=can_write)
                for t in page.object_list
            ],
            "page_extra": "&" + frame["filter_query"],
            "csrf_token": csrf_token,
        }
        return {"results": render_to_string("campaigns/work_tasks.html#task-results", context)}

    return shared_parts(request, "campaign-task-list", audience, build)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's tasks as a table (``?view=list``, 100 a page) or a status board (``?view=board``)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    context = _tasks_context(request, campaign)
    if request.htmx and "shared_results" in context:
        return HttpResponse(context["shared_results"])
    template = "campaigns/work_tasks.html"
    if request.htmx:
        template += "#task-board"
    return render(request, template, context)


@login_required
@require_POST
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    members, phases = members_of(campaign), phases_of(campaign)
    form = TaskCreateForm(request.POST, members=members, phases=phases)
    if form.is_valid():
        try:
            task = services.task_save(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
            return HttpResponseRedirect(
                safe_next(
                    request,
                    target=request.POST.get("next") or "",
                    fallback=reverse("campaigns:tasks", args=[campaign.pk]),
                )
            )
    context = _tasks_context(request, campaign, create_form=form)
    context["create_open"] = True
    return render(request, "campaigns/work_tasks.html", context, status=400)


def _dependency_context(campaign: Campaign, task: Task, *, form: DependencyForm | None = None) -> dict[str, Any]:
    """The task's predecessors and, for writers, the form to add one from the campaign's other tasks."""
    predecessors = list(
        Task.objects.filter(campaign=campaign, successor_links__successor=task).order_by("start_date", "id")
    )
    context: dict[str, Any] = {"dep_task": task, "predecessors": predecessors, "can_write": writable(campaign)}
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


def task_page_context(
    request: HttpRequest,
    campaign: Campaign,
    task: Task,
    *,
    form: TaskForm | None = None,
    dependency_form: DependencyForm | None = None,
    comment_form: CommentForm | None = None,
    attachment_error: str = "",
) -> dict[str, Any]:
    """Everything the task page shows: the task, its edit form, its dependencies and its discussion (comments
    with their authors, watchers, the mention picker) — a fixed number of queries however long the thread."""
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
            TaskForm.initial_for(task),
            members=members_of(campaign),
            phases=phases_of(campaign),
            current_owner=task.owner,
        )
    user = request.user
    comments = list(task_comments(task=task))
    now = timezone.now()
    for comment in comments:
        comment.mine = comment.author_id == user.pk
        comment.editable = comment_editable(comment, user=user, now=now)
    watcher_ids = task_watcher_ids(task=task)
    attachments = list(task_attachments(task=task))
    for attachment in attachments:
        attachment.url = attachment.download_url
        attachment.mine = attachment.uploaded_by_id == user.pk
    context.update(
        activity=rows(list(task_activity(task=task)[:TASK_ACTIVITY_SHOWN])),
        attachments=attachments,
        attachment_error=attachment_error,
        attachment_max_mb=f"{settings.ATTACHMENT_MAX_BYTES / 1048576:g}",
        comments=comments,
        comment_form=comment_form or (CommentForm() if context["can_write"] else None),
        watching=user.pk in watcher_ids,
        watcher_count=len(watcher_ids),
        mention_people=list(mention_candidates(task=task).only("id", "username", "first_name", "last_name"))
        if context["can_write"]
        else [],
    )
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_detail(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """One task: its full edit form and its dependency editor (htmx asks for the editor alone)."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task = task_in(campaign, task_pk)
    if request.htmx:
        context = {"campaign": campaign, **_dependency_context(campaign, task)}
        return render(request, "campaigns/work_task.html#dependency-editor", context)
    return render(request, "campaigns/work_task.html", task_page_context(request, campaign, task))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_update(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Change some of a task's fields: a row of the list, a card of the board, or the task page's form.
    Only the fields that were posted and differ are saved, so a stale row does not undo others' edits."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    members, phases = members_of(campaign), phases_of(campaign)
    auto_id = f"task-{task.pk}-%s" if request.htmx else "id_%s"
    form, posted = TaskForm.for_task(task, request.POST, members=members, phases=phases, auto_id=auto_id)
    if form.is_valid() and posted:
        try:
            changes = form.changes(task, posted)
            if changes:
                services.task_save(campaign=campaign, actor=request.user, task=task, **changes)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            return _task_updated(request, campaign, task_pk, members=members, phases=phases)
    elif not posted:
        form.add_error(None, _("Nothing to change was sent."))
    # Refused: the task as the database has it, the form with what was sent and why it was refused.
    today = campaign_today(campaign)
    task = with_predecessors(Task.objects.filter(campaign=campaign, pk=task_pk)).get()
    if not request.htmx:
        return render(
            request, "campaigns/work_task.html", task_page_context(request, campaign, task, form=form), status=400
        )
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
    context = {
        "campaign": campaign,
        "row": row,
        "can_write": True,
        "back_url": safe_next(request, target=request.POST.get("next") or "", fallback=""),
    }
    return render(request, "campaigns/work_tasks.html#task-row", context, status=400)


def _task_updated(
    request: HttpRequest, campaign: Campaign, task_pk: int, *, members: list[User], phases: list[Phase]
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, _("Task saved."))
        return HttpResponseRedirect(
            safe_next(
                request, target=request.POST.get("next") or "", fallback=reverse("campaigns:tasks", args=[campaign.pk])
            )
        )
    if request.GET.get("view") == "board":
        # The card may belong in another column now: redraw the board with the filters it was drawn with.
        return render(request, "campaigns/work_tasks.html#task-board", _tasks_context(request, campaign))
    task = with_predecessors(Task.objects.filter(campaign=campaign, pk=task_pk)).get()
    row = _row(campaign, task, None, members=members, phases=phases, today=campaign_today(campaign), can_write=True)
    context = {
        "campaign": campaign,
        "row": row,
        "can_write": True,
        "back_url": safe_next(request, target=request.POST.get("next") or "", fallback=""),
    }
    return render(request, "campaigns/work_tasks.html#task-row", context)


@login_required
@require_POST
def task_remove(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    title = task.title
    services.task_delete(task=task, actor=request.user)
    messages.success(request, _("Task “%(title)s” deleted.") % {"title": title})
    return HttpResponseRedirect(reverse("campaigns:tasks", args=[campaign.pk]))


def _dependency_response(
    request: HttpRequest, campaign: Campaign, task: Task, *, form: DependencyForm | None = None, status: int = 200
) -> HttpResponse:
    if request.htmx:
        context = {"campaign": campaign, "can_write": True, **_dependency_context(campaign, task, form=form)}
        return render(request, "campaigns/work_task.html#dependency-editor", context, status=status)
    if status == 200:
        url = reverse("campaigns:task_detail", args=[campaign.pk, task.pk])
        return HttpResponseRedirect(
            safe_next(request, target=request.POST.get("next") or "", fallback=url + "#dependencies")
        )
    context = task_page_context(request, campaign, task, dependency_form=form)
    return render(request, "campaigns/work_task.html", context, status=status)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def dependency_add(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Make the task wait for another task of the campaign; a cycle is refused, naming it."""
    campaign = get_campaign_for_user(request.user, pk, need=Access.WRITE)
    task = task_in(campaign, task_pk)
    candidates = list(Task.objects.filter(campaign=campaign).exclude(pk=task.pk).values_list("pk", "title"))
    form = DependencyForm(request.POST, candidates=candidates, auto_id=f"deps-{task.pk}-%s")
    if form.is_valid():
        predecessor = task_in(campaign, form.cleaned_data["predecessor"])
        try:
            services.task_add_dependency(task=task, predecessor=predecessor, actor=request.user)
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
    task = task_in(campaign, task_pk)
    services.task_remove_dependency(task=task, predecessor_id=predecessor_pk, actor=request.user)
    return _dependency_response(request, campaign, task)


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
]
