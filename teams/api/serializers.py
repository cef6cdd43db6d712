"""API shapes for the current user (``me``), departments, teams and team members."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.permissions import principal_for
from core.roles import TeamRole

from ..chat import CHAT_VERBS
from ..models import ChatChannel, ChatDelivery, ChatKind, Department, Team, TeamMembership, User


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en"]


class MeTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "department", "language", "time_zone", "roles", "teams"]
        read_only_fields = ["id", "username", "department", "roles", "teams"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, user: User) -> list[str]:
        return sorted(principal_for(user).roles)

    @extend_schema_field(MeTeamSerializer(many=True))
    def get_teams(self, user: User) -> list[dict]:
        return [
            {"id": m.team_id, "name": m.team.name, "role": m.role}
            for m in user.memberships.select_related("team").order_by("team__name")
        ]


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "code", "name", "description", "department", "parent", "member_count"]


class TeamMemberSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": _("No active user has id {pk_value}."),
            "incorrect_type": _("Give the user's id as an integer."),
        },
    )
    role = serializers.ChoiceField(choices=TeamRole.choices)
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["user", "role", "username", "display_name", "joined_at"]
        read_only_fields = ["joined_at"]


class TeamMemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=TeamRole.choices)


class ChatChannelSerializer(serializers.ModelSerializer):
    """SPEC 10.4 (Contract): ``kind``, ``webhook_url``, ``secret`` (write-only), ``verbs``, ``active``."""

    kind = serializers.ChoiceField(choices=ChatKind.choices)
    webhook_url = serializers.CharField(max_length=500)
    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200,
        help_text=_("DingTalk and Feishu robots' signing secret. Never shown again; send it to replace it."),
    )  # fmt: skip
    verbs = serializers.ListField(child=serializers.ChoiceField(choices=[(v, v) for v in CHAT_VERBS]), required=False)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = ChatChannel
        fields = [
            "id",
            "kind",
            "name",
            "webhook_url",
            "secret",
            "has_secret",
            "verbs",
            "language",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "has_secret", "created_at"]

    def get_has_secret(self, channel: ChatChannel) -> bool:
        return bool(channel.secret)


class ChatDeliverySerializer(serializers.ModelSerializer):
    """SPEC 10.4 (Contract): ``event``, ``status`` (pending, sent, failed), ``attempts``, ``last_error``, ``sent_at``."""

    class Meta:
        model = ChatDelivery
        fields = ["id", "event", "verb", "status", "attempts", "last_error", "next_attempt_at", "sent_at", "created_at"]
        read_only_fields = fields
