"""Helpers the campaign work pages share: write access, one task of the campaign, its people and phases."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from core.permissions import Access
from teams.models import User

from .. import services
from ..models import Campaign, Phase, Task


def writable(campaign: Campaign) -> bool:
    return campaign.access >= Access.WRITE


def task_in(campaign: Campaign, task_pk: int) -> Task:
    """One task of the campaign (404 for any other task id)."""
    task = get_object_or_404(Task.objects.filter(campaign=campaign).select_related("owner", "phase"), pk=task_pk)
    task.campaign = campaign  # already loaded, with the user's access on it
    return task


def members_of(campaign: Campaign) -> list[User]:
    """The people who may own the campaign's tasks (team leads, deputies, members)."""
    return list(
        User.objects.filter(services.campaign_members(campaign), is_active=True).distinct().order_by("display_name")
    )


def phases_of(campaign: Campaign) -> list[Phase]:
    return list(Phase.objects.filter(campaign=campaign))


def with_predecessors(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.select_related("owner", "phase").prefetch_related(
        Prefetch("depends_on", queryset=Task.objects.only("id", "title").order_by("start_date", "id"))
    )
