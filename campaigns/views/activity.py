"""A campaign's activity page (SPEC 10.3): the ledger's entries about it, newest first, 50 a page; ``?task=``
narrows it to one task (the task page links here from its panel)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from core.permissions import Access
from teams.models import User

from ..activity import (
    HIDDEN_FIELDS,
    PEOPLE_FIELDS,
    campaign_activity,
    entry_changes,
    entry_summary,
    entry_title,
    field_label,
    field_value,
    task_activity,
)
from ..models import Task
from ..permissions import get_campaign_for_user
from ._common import task_in

PER_PAGE = 50


def rows(entries: list) -> list:
    """Entries dressed for the templates: summary, the object's name, and changes with field labels and people's
    names (two queries for the whole page: the tasks' titles and the people named, however many entries)."""
    task_ids, people = set(), set()
    for entry in entries:
        entry.change_map = entry_changes(entry)
        if entry.object_type == "campaigns.task" and entry.object_id.isdigit():
            task_ids.add(int(entry.object_id))
        for field, values in entry.change_map.items():
            if field in PEOPLE_FIELDS:
                people.update(v for v in values if isinstance(v, int))
    titles = dict(Task.objects.filter(pk__in=task_ids).values_list("pk", "title")) if task_ids else {}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=people)} if people else {}
    for entry in entries:
        entry.summary = entry_summary(entry)
        entry.title = entry_title(entry)
        if entry.title.startswith("#") and entry.object_id.isdigit():
            entry.title = titles.get(int(entry.object_id), entry.title)
        entry.changes = [
            (
                field_label(entry.object_type, field),
                names.get(before, before) if field in PEOPLE_FIELDS else field_value(entry.object_type, field, before),
                names.get(after, after) if field in PEOPLE_FIELDS else field_value(entry.object_type, field, after),
            )
            for field, (before, after) in entry.change_map.items()
            if field not in HIDDEN_FIELDS
        ]
    return entries


@login_required
@require_GET
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk, need=Access.READ)
    task = None
    if request.GET.get("task", "").isdigit():
        task = task_in(campaign, int(request.GET["task"]))
        entries = task_activity(task=task)
    else:
        entries = campaign_activity(campaign=campaign)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "active_tab": "activity",
        "task": task,
        "page": page,
        "entries": rows(list(page.object_list)),
        "query_prefix": f"task={task.pk}&" if task else "",
    }
    return render(request, "campaigns/activity.html", context)


urlpatterns = [path("<int:pk>/activity/", activity, name="activity")]
