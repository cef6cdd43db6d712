"""My tasks across every campaign (issue 16): late first, filters (status, campaign, due before), filters saved
under a name per user, and one tap to start or finish a task (the task_update form, back to this page)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign, Task, TaskStatus
from campaigns.permissions import campaign_policy
from campaigns.selectors import campaign_today, visible_parts
from core.permissions import Access, principal_for

from ..models import SavedTaskFilter

PER_PAGE = 50
MAX_SAVED = 20


class MyTaskFilters(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Not done")), ("all", gettext_lazy("All")), *TaskStatus.choices],
    )
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), required=False, coerce=int, empty_value=None)
    due_before = forms.DateField(
        label=gettext_lazy("Due by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, campaigns, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", gettext_lazy("All campaigns")), *((c.pk, str(c)) for c in campaigns)]


class SaveFilterForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name these filters"),
        max_length=60,
        strip=True,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": gettext_lazy("e.g. Due this week")}
        ),
    )
    query = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = visible_parts(Task, user=user).filter(owner_id=user.pk)
    campaign_ids = mine.values("campaign_id")
    campaigns = list(campaign_policy.visible(user, Campaign.objects.filter(pk__in=campaign_ids)).order_by("code"))
    filters = MyTaskFilters(request.GET or None, campaigns=campaigns)
    tasks = mine.select_related("campaign", "phase")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"] == "":
            tasks = tasks.exclude(status=TaskStatus.DONE)
        elif data["status"] != "all":
            tasks = tasks.filter(status=data["status"])
        if data["campaign"]:
            tasks = tasks.filter(campaign_id=data["campaign"])
        if data["due_before"]:
            tasks = tasks.filter(due_date__lte=data["due_before"])
    else:
        tasks = tasks.exclude(status=TaskStatus.DONE) if not filters.is_bound else tasks.none()
    finished = Case(When(status=TaskStatus.DONE, then=1), default=0, output_field=IntegerField())
    page = Paginator(tasks.order_by(finished, "due_date", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    principal = principal_for(user)
    todays: dict[str, dt.date] = {}
    rows = list(page.object_list)
    for task in rows:
        zone = task.campaign.time_zone
        if zone not in todays:
            todays[zone] = campaign_today(task.campaign)
        task.late = task.is_late(todays[zone])
        task.url = reverse("campaigns:task_detail", args=[task.campaign_id, task.pk])
        if principal.is_admin or principal.team_access(task.campaign.team_id) >= Access.WRITE:
            task.update_url = reverse("campaigns:task_update", args=[task.campaign_id, task.pk])
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {
        "filters": filters,
        "page": page,
        "tasks": rows,
        "query": query,
        "saved": SavedTaskFilter.objects.filter(user=user),
        "save_form": SaveFilterForm(initial={"query": query}),
        "here": request.get_full_path(),
    }
    return render(
        request, "dashboards/my_tasks.html", context, status=400 if filters.is_bound and filters.errors else 200
    )


@login_required
@require_POST
def my_tasks_filter_save(request: HttpRequest) -> HttpResponse:
    form = SaveFilterForm(request.POST)
    back = reverse("my_tasks")
    if not form.is_valid():
        messages.error(request, _("Give the filters a name (at most 60 characters)."))
        return HttpResponseRedirect(back + "?" + request.POST.get("query", "")[:300])
    if SavedTaskFilter.objects.filter(user=request.user).count() >= MAX_SAVED:
        messages.error(request, _("You can keep %(count)s saved filters; delete one first.") % {"count": MAX_SAVED})
        return HttpResponseRedirect(back)
    query = form.cleaned_data["query"]
    try:
        with transaction.atomic():
            SavedTaskFilter.objects.create(user=request.user, name=form.cleaned_data["name"], query=query)
    except IntegrityError:
        messages.error(request, _("You already have saved filters with that name."))
    else:
        messages.success(request, _("Filters saved."))
    return HttpResponseRedirect(back + ("?" + query if query else ""))


@login_required
@require_POST
def my_tasks_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedTaskFilter, user=request.user, pk=pk)  # another user's: 404
    saved.delete()
    messages.success(request, _("Saved filters deleted."))
    return HttpResponseRedirect(reverse("my_tasks"))
