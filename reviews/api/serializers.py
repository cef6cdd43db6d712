"""Review API shapes (SPEC 9). Serializers check the shape of input and that people named belong to the
campaign's team; reviews.services and reviews.agenda enforce the rules (who writes, who runs a meeting)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign
from campaigns.permissions import campaign_policy
from core.api.fields import MAX_ID, related_field
from core.roles import TeamRole
from core.validators import TEXT_MAX_LENGTH, ApiDateField
from teams.models import User

from ..models import ActionItem, Meeting, Retrospective, ReviewSeries, StatusUpdate
from ..selectors import agenda_with_notes

TIME_FORMAT = "%H:%M"


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "10:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as ``HH:MM`` (SPEC 9), documented as such: OpenAPI's ``format: time`` means ``HH:MM:SS``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=TIME_FORMAT, input_formats=[TIME_FORMAT], **kwargs)


def _request_user(serializer: serializers.Serializer) -> Any:
    return getattr(serializer.context.get("request"), "user", None)


# --- Filters (query parameters) --------------------------------------------------------


class SeriesFilterSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only this campaign's series.")
    )


class MeetingFilterSerializer(serializers.Serializer):
    series = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only this series' meetings.")
    )


# --- Series ------------------------------------------------------------------------------


class ReviewSeriesSerializer(serializers.ModelSerializer):
    """A recurring standup or retrospective. Saving it creates (or moves) the meetings of the coming weeks.
    ``campaign`` cannot change after creation; ``chair`` defaults to the requester."""

    campaign = related_field("campaign", queryset=Campaign.objects.none())
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=_("0 = Monday … 6 = Sunday."))
    time = HourMinuteField(help_text=_("HH:MM in the series' time zone."))
    interval_weeks = serializers.IntegerField(
        min_value=1,
        max_value=12,
        required=False,
        help_text=_("Meet every … weeks; defaults to 1 for a standup, 2 for a retrospective."),
    )
    reminder_lead_hours = serializers.IntegerField(min_value=0, max_value=24 * 14, required=False)
    chair = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("A lead, deputy or member of the campaign's team; defaults to the requester."),
    )
    participants = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text=_("User ids; each must be on the campaign's team."),
    )
    starts_on = ApiDateField(
        required=False, help_text=_("Meetings are counted in weeks from this date; defaults to today.")
    )

    class Meta:
        model = ReviewSeries
        fields = [
            "id",
            "campaign",
            "kind",
            "title",
            "weekday",
            "time",
            "timezone",
            "interval_weeks",
            "starts_on",
            "chair",
            "participants",
            "reminder_lead_hours",
            "holiday_policy",
            "active",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            # Only campaigns the requester can see; any other id reads as "not found", revealing nothing.
            self.fields["campaign"].queryset = campaign_policy.visible(user, Campaign.objects.all())

    def validate_campaign(self, campaign: Campaign) -> Campaign:
        if self.instance is not None and campaign.pk != self.instance.campaign_id:
            raise serializers.ValidationError(_("A series cannot be moved to another campaign."))
        return campaign

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        campaign = attrs.get("campaign") or getattr(self.instance, "campaign", None)
        if campaign is None:  # partial input without a campaign on create; the field error says so
            return attrs
        roles = dict(campaign.team.memberships.values_list("user_id", "role"))
        errors: dict[str, Any] = {}
        outsiders = [user.pk for user in attrs.get("participants", []) if user.pk not in roles]
        if outsiders:
            errors["participants"] = [_("User %(id)s is not on the campaign's team.") % {"id": pk} for pk in outsiders]
        chair = attrs.get("chair")
        if chair is not None and roles.get(chair.pk) in (None, TeamRole.VIEWER):
            errors["chair"] = [_("The chair must be a lead, deputy or member of the campaign's team.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- Meetings ----------------------------------------------------------------------------


class ActionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionItem
        fields = ["id", "title", "owner", "due_date", "done"]
        read_only_fields = fields


class AgendaItemSerializer(serializers.Serializer):
    """One agenda item with its minutes. ``key`` names it in ``agenda/{key}/``; the other fields of a built item
    (``url``, ``due``, ``owner``, ``level`` …) depend on its ``kind``."""

    key = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, trim_whitespace=False, help_text=_("Notes on this item.")
    )
    decision = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, trim_whitespace=False, help_text=_("What was decided.")
    )

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        return dict(instance)


class MeetingSerializer(serializers.ModelSerializer):
    """One occurrence of a series. The agenda is built when the chair opens the meeting, each item with its
    ``notes`` and ``decision`` (written through ``agenda/{key}/``); ``attendees`` (user ids) are written by the
    chair with PATCH; the minutes are published once through ``publish/``; action items are raised through
    ``action-items/``."""

    action_items = ActionItemSerializer(many=True, read_only=True)
    agenda = serializers.SerializerMethodField()
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id", "series", "scheduled_at", "status", "agenda", "attendees", "minutes", "published_at",
            "action_items",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda(self, meeting: Meeting) -> list[dict[str, Any]]:
        return agenda_with_notes(meeting)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_attendees(self, meeting: Meeting) -> list[int]:
        return sorted(user.pk for user in meeting.attendees.all())


class MeetingUpdateSerializer(serializers.Serializer):
    """What PATCH changes on a meeting: who attended (the chair and the series' participants only)."""

    attendees = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        many=True,
        help_text=_("User ids of who attended; each must be the chair or a participant of the series."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Everything else changes through the meeting's actions; say so rather than ignore it.
        others = sorted(set(self.initial_data) - set(self.fields))
        if others:
            raise serializers.ValidationError(
                {name: [_("This field is not written with PATCH; use the meeting's actions.")] for name in others}
            )
        return attrs


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=TEXT_MAX_LENGTH, help_text=_("The minutes (會議紀要).")
    )


class ActionItemCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        help_text=_("A lead, deputy or member of the campaign's team; they are notified."),
    )
    due_date = ApiDateField(required=False, allow_null=True)


class StatusUpdateSerializer(serializers.ModelSerializer):
    """A participant's done / next / blockers for one meeting; filing again replaces their earlier one."""

    done = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    next = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    blockers = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    class Meta:
        model = StatusUpdate
        fields = ["id", "meeting", "user", "done", "next", "blockers", "updated_at"]
        read_only_fields = ["meeting", "user", "updated_at"]


class RetrospectiveSerializer(serializers.ModelSerializer):
    """The four dimensions scored 1–5 with comments, the report sections, and improvements that become
    action items (write-only)."""

    improvements = ActionItemCreateSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = Retrospective
        fields = [
            "goal_score", "goal_comment", "efficiency_score", "efficiency_comment", "innovation_score",
            "innovation_comment", "improvement_score", "improvement_comment", "lessons", "suggestions",
            "responsibilities", "improvements", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            f: {"min_value": 1, "max_value": 5}
            for f in ("goal_score", "efficiency_score", "innovation_score", "improvement_score")
        }
