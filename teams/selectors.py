"""Team reads: the teams a user may see, their members, departments, and the team chat channels with their log."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Department, Team, TeamMembership
from .permissions import team_policy


def team_list(*, user: Any) -> QuerySet[Team]:
    """Teams the user may see, with member counts, top-level task forces first."""
    qs = Team.objects.select_related("department", "parent").annotate(member_count=Count("memberships"))
    return team_policy.visible(user, qs).order_by("parent_id", "name")


def team_members(*, team: Team) -> QuerySet[TeamMembership]:
    """The team's memberships with their users, ordered by role and name."""
    return team.memberships.select_related("user", "user__department").order_by("role", "user__username")


def department_list() -> QuerySet[Department]:
    """Every department, by code."""
    return Department.objects.all()


def chat_channels(*, team: Any) -> list[Any]:
    """The team's chat channels, each with its ten latest deliveries as ``recent`` (two queries, however many
    deliveries there are)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from .models import ChatChannel, ChatDelivery

    channels = list(ChatChannel.objects.filter(team=team).order_by("pk"))
    recent: dict[int, list[Any]] = {channel.pk: [] for channel in channels}
    if channels:
        rows = (
            ChatDelivery.objects.filter(channel__in=channels)
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=[F("channel_id")], order_by=[F("created_at").desc(), F("pk").desc()]
                )
            )
            .filter(rank__lte=10)
            .order_by("channel_id", "-created_at", "-pk")
        )
        for delivery in rows:
            recent[delivery.channel_id].append(delivery)
    from core.models import NotificationVerb

    labels = dict(NotificationVerb.choices)
    for channel in channels:
        channel.recent = recent[channel.pk]
        channel.verb_labels = [labels.get(verb, verb) for verb in channel.verbs or []]
        for delivery in channel.recent:
            delivery.verb_label = labels.get(delivery.verb, _("Test message"))
    return channels
