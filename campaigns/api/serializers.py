"""Campaign API shapes (SPEC 9). Serializers check the shape of input; campaigns.services enforces the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import MAX_ID, related_field
from core.markdown import render_markdown
from core.validators import TEXT_MAX_LENGTH, ApiCodeField, ApiDateField
from teams.models import Department, Team, User
from teams.permissions import team_policy

from ..activity import entry_changes
from ..health import reason_texts
from ..models import (
    COMMENT_MAX_LENGTH,
    Campaign,
    CampaignStatus,
    Channel,
    Health,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskAttachment,
    TaskComment,
)
from ..permissions import campaign_part_policy, campaign_policy
from ..selectors import KpiStatus, kpi_status_from_readings, phase_health_map, playbook_list

FOUR_PLACES = Decimal("0.0001")


def _request_user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- Filters (query parameters) --------------------------------------------------------


class CampaignFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignStatus.choices, required=False, help_text=_("Only this status."))
    team = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only this team's campaigns.")
    )
    q = serializers.CharField(required=False, max_length=100, help_text=_("Search in code, name and objective."))


class CampaignPartFilterSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Only this campaign's rows.")
    )


# --- Playbooks --------------------------------------------------------------------------


class PlaybookSerializer(serializers.ModelSerializer):
    duration_days = serializers.IntegerField(read_only=True)

    class Meta:
        model = Playbook
        fields = ["id", "code", "name", "description", "builtin", "duration_days", "definition"]
        read_only_fields = fields


class SaveAsPlaybookSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)


# --- Campaigns ---------------------------------------------------------------------------


# The date fields' own conversion (date format, current time zone), shared by the campaign list's rows.
_DATE_FIELD = serializers.DateField()
_DATETIME_FIELD = serializers.DateTimeField()
_CAMPAIGN_STATUSES = {str(value): value for value in CampaignStatus.values}


def _or_none(convert: Any, value: Any) -> Any:
    return None if value is None else convert(value)


def _department_ids(campaigns: list[Campaign]) -> dict[int, list[int]]:
    """Each campaign's department ids in the order of ``campaign.departments.all()`` (by department code)."""
    ids: dict[int, list[int]] = {c.pk: [] for c in campaigns}
    unfetched = [c.pk for c in campaigns if "departments" not in getattr(c, "_prefetched_objects_cache", {})]
    for c in campaigns:
        if c.pk not in unfetched:
            ids[c.pk] = [department.pk for department in c.departments.all()]
    if unfetched:
        links = (
            Campaign.departments.through.objects.filter(campaign_id__in=unfetched)
            .order_by("department__code")
            .values_list("campaign_id", "department_id")
        )
        for campaign_id, department_id in links:
            ids[campaign_id].append(department_id)
    return ids


class CampaignListSerializer(serializers.ListSerializer):
    """The campaign list's rows, built in one pass instead of through a field object per value.

    Serialising 50 campaigns field by field was most of the list endpoint's CPU (issue #9). Each row is exactly
    what ``CampaignSerializer`` gives for one campaign (same keys in the same order, same values and types:
    tests/campaigns/test_api_list_serializer.py compares them); the schema still comes from ``CampaignSerializer``.
    The campaigns need ``team`` and ``lead`` selected and ``task_count`` annotated, as ``campaign_list`` does;
    unless their ``departments`` are prefetched, the departments' ids are read in one query of the link table
    (no department rows built).
    """

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        campaigns = list(data.all() if hasattr(data, "all") else data)
        departments = _department_ids(campaigns)
        date = _DATE_FIELD.to_representation
        moment = _DATETIME_FIELD.to_representation
        return [
            {
                "id": int(c.id),
                "code": str(c.code),
                "name": str(c.name),
                "objective": str(c.objective),
                "team": c.team_id,
                "team_name": str(c.team.name),
                "lead": c.lead_id,
                "lead_name": str(c.lead),
                "departments": departments[c.pk],
                "start_date": _or_none(date, c.start_date),
                "end_date": _or_none(date, c.end_date),
                "currency": str(c.currency),
                "time_zone": str(c.time_zone),
                "status": _or_none(lambda status: _CAMPAIGN_STATUSES.get(str(status), status), c.status),
                "allowed_transitions": [str(status) for status in c.allowed_transitions],
                "playbook": c.playbook_id,
                "copied_from": c.copied_from_id,
                "task_count": int(getattr(c, "task_count", 0)),
                "health": str(c.health),
                "projected_end": _or_none(date, c.projected_end),
                "slip_days": int(c.slip_days),
                "health_reasons": reason_texts(c.health_reasons or [], level=c.health),
                "created_at": _or_none(moment, c.created_at),
                "updated_at": _or_none(moment, c.updated_at),
            }
            for c in campaigns
        ]


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign. ``status`` changes only through ``transition/``; ``playbook`` on create builds the plan."""

    # Declared explicitly so the service's case-insensitive uniqueness check answers, not a model validator.
    code = ApiCodeField()
    team = related_field("team", queryset=Team.objects.none())
    lead = related_field(
        "user",
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Defaults to the requester. Must be a lead, deputy or member of the team."),
    )
    departments = related_field("department", queryset=Department.objects.all(), many=True, required=False)
    playbook = related_field(
        "playbook",
        queryset=Playbook.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("On create: start from this playbook's phases, milestones, tasks, KPIs and channels."),
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    lead_name = serializers.CharField(source="lead.__str__", read_only=True)
    task_count = serializers.IntegerField(read_only=True, default=0)
    health = serializers.ChoiceField(
        choices=Health.choices,
        read_only=True,
        help_text=_(
            "green, yellow or red (SPEC 10.2): red when projected_end is after end_date, else the worst "
            "phase light, made worse by red risk alerts, budget burn ahead of time or KPIs off forecast."
        ),
    )
    projected_end = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Where the schedule is projected to end (critical path method).")
    )
    slip_days = serializers.IntegerField(
        read_only=True, help_text=_("projected_end − end_date in days, 0 when on time.")
    )
    health_reasons = serializers.SerializerMethodField(
        help_text=_("Why the campaign has its colour, in the reader's language.")
    )
    # Plain strings in the schema: the status choice set is named once, on ``status``.
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("The statuses this campaign may move to next (see transition/)."),
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "code",
            "name",
            "objective",
            "team",
            "team_name",
            "lead",
            "lead_name",
            "departments",
            "start_date",
            "end_date",
            "currency",
            "time_zone",
            "status",
            "allowed_transitions",
            "playbook",
            "copied_from",
            "task_count",
            "health",
            "projected_end",
            "slip_days",
            "health_reasons",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["currency", "status", "copied_from", "created_at", "updated_at"]
        list_serializer_class = CampaignListSerializer

    def get_health_reasons(self, campaign: Campaign) -> list[str]:
        return reason_texts(campaign.health_reasons or [], level=campaign.health)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Here rather than in __init__, so that a list, which never builds its child's fields, skips it.
        fields = super().get_fields()
        user = _request_user(self)
        if user is not None:
            # Only teams the requester can see; any other id reads as "not found".
            fields["team"].queryset = team_policy.visible(user, Team.objects.all())
            if "playbook" in fields:  # another team's playbook reads as "not found"
                fields["playbook"].queryset = playbook_list(user=user)
        return fields


class CampaignCreateSerializer(CampaignSerializer):
    """The create body: as a campaign, but the end date may be left out when a playbook sets it."""

    end_date = ApiDateField(
        required=False,
        allow_null=True,
        help_text=_("Required unless a playbook is given; then it follows from the playbook."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("playbook") is None and attrs.get("end_date") is None:
            raise serializers.ValidationError({"end_date": [_("This field is required without a playbook.")]})
        return attrs


class CampaignUpdateSerializer(serializers.ModelSerializer):
    """The header fields a lead or deputy may change; status and team have their own ways."""

    code = ApiCodeField()
    lead = related_field("user", queryset=User.objects.filter(is_active=True))
    departments = related_field("department", queryset=Department.objects.all(), many=True)

    class Meta:
        model = Campaign
        fields = ["code", "name", "objective", "lead", "departments", "start_date", "end_date", "time_zone"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = self.initial_data if isinstance(self.initial_data, dict) else {}
        errors = {}
        if "status" in data and data["status"] != getattr(self.instance, "status", None):
            errors["status"] = [_("Change the status with POST …/transition/.")]
        if "team" in data and str(data["team"]) != str(getattr(self.instance, "team_id", "")):
            errors["team"] = [_("A campaign cannot move to another team; copy it instead.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CampaignTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignStatus.choices)


# The transition body as an inline schema, so the campaign status choice set stays one named component.
CAMPAIGN_TRANSITION_REQUEST = {
    "application/json": {
        "type": "object",
        "properties": {"status": {"type": "string", "enum": CampaignStatus.values}},
        "required": ["status"],
    }
}


class CampaignCopySerializer(serializers.Serializer):
    code = ApiCodeField()
    name = serializers.CharField(max_length=200)
    start_date = ApiDateField()
    team = related_field(
        "team",
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The copy's team (default: the source's). Needs the lead or deputy role there."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            self.fields["team"].queryset = team_policy.visible(user, Team.objects.all())


class ScheduleTaskSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    earliest_start = serializers.DateField()
    earliest_finish = serializers.DateField()
    latest_start = serializers.DateField()
    latest_finish = serializers.DateField()
    float_days = serializers.IntegerField()
    critical = serializers.BooleanField()


class ScheduleSerializer(serializers.Serializer):
    tasks = ScheduleTaskSerializer(many=True)
    critical_path = serializers.ListField(child=serializers.IntegerField())
    projected_end = serializers.DateField(allow_null=True)


# --- Campaign parts ------------------------------------------------------------------------


class CampaignPartSerializer(serializers.ModelSerializer):
    """Base for phases, KPIs and channels: ``campaign`` is chosen among campaigns the requester can see
    and cannot change afterwards."""

    campaign = related_field("campaign", queryset=Campaign.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None and "campaign" in self.fields and not self.fields["campaign"].read_only:
            self.fields["campaign"].queryset = campaign_policy.visible(user, Campaign.objects.all())

    def validate_campaign(self, campaign: Campaign) -> Campaign:
        if self.instance is not None and campaign.pk != self.instance.campaign_id:
            raise serializers.ValidationError(_("This cannot be moved to another campaign."))
        return campaign


class PhaseSerializer(CampaignPartSerializer):
    health = serializers.SerializerMethodField()

    class Meta:
        model = Phase
        fields = ["id", "campaign", "name", "order", "start_date", "end_date", "health"]

    @extend_schema_field(serializers.ChoiceField(choices=Health.choices))
    def get_health(self, phase: Phase) -> str:
        health = self.context.get("health") or {}
        if phase.pk in health:
            return health[phase.pk]
        return phase_health_map(phases=[phase])[phase.pk]


class MilestoneSerializer(serializers.ModelSerializer):
    phase = related_field("phase", queryset=Phase.objects.none())

    class Meta:
        model = Milestone
        fields = ["id", "campaign", "phase", "name", "due_date", "deliverable", "done", "done_on"]
        read_only_fields = ["campaign", "done_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            self.fields["phase"].queryset = campaign_part_policy.visible(user, Phase.objects.select_related("campaign"))


class TaskSerializer(CampaignPartSerializer):
    campaign = related_field(
        "campaign",
        queryset=Campaign.objects.none(),
        required=False,
        help_text=_("Required on create unless a phase is given (the task then belongs to the phase's campaign)."),
    )
    phase = related_field("phase", queryset=Phase.objects.none(), required=False, allow_null=True)
    owner = related_field("user", queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    department = related_field("department", queryset=Department.objects.all(), required=False, allow_null=True)
    depends_on = related_field(
        "task",
        queryset=Task.objects.none(),
        many=True,
        required=False,
        help_text=_("Ids of tasks of the same campaign this task waits for (finish-to-start); a write replaces them."),
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "campaign",
            "phase",
            "title",
            "owner",
            "department",
            "start_date",
            "due_date",
            "status",
            "progress",
            "depends_on",
            "description",
            "watchers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None:
            self.fields["phase"].queryset = campaign_part_policy.visible(user, Phase.objects.select_related("campaign"))
            self.fields["depends_on"].child_relation.queryset = campaign_part_policy.visible(user, Task.objects.all())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is None and attrs.get("campaign") is None:
            phase = attrs.get("phase")
            if phase is None:
                raise serializers.ValidationError({"campaign": [_("Give the campaign or a phase of it.")]})
            attrs["campaign"] = phase.campaign
        return attrs

    watchers = serializers.SerializerMethodField(help_text=_("Ids of the people who hear of its comments."))

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_watchers(self, task: Task) -> list[int]:
        return sorted(link.user_id for link in task.watcher_links.all())  # prefetched by the viewset

    def to_representation(self, instance: Task) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["depends_on"] = sorted(data["depends_on"])
        return data


class ActivitySerializer(serializers.Serializer):
    """One ledger entry about a campaign or task (SPEC 10.3), newest first."""

    actor = serializers.SerializerMethodField()
    action = serializers.CharField(read_only=True)
    object_type = serializers.CharField(read_only=True)
    object_id = serializers.CharField(read_only=True)
    changes = serializers.SerializerMethodField(help_text=_('{"field": [before, after]}'))
    at = serializers.DateTimeField(source="created_at", read_only=True)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_actor(self, entry: Any) -> dict[str, Any] | None:
        if entry.actor_id is None:
            return None
        return {"id": entry.actor_id, "username": entry.actor_username, "display_name": str(entry.actor)}

    @extend_schema_field(serializers.DictField(child=serializers.ListField()))
    def get_changes(self, entry: Any) -> dict[str, list[Any]]:
        return entry_changes(entry)


class TaskAttachmentSerializer(serializers.ModelSerializer):
    """An attachment (SPEC 10.3); ``url`` downloads it through the task's access rules."""

    uploaded_by = serializers.IntegerField(source="uploaded_by_id", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = TaskAttachment
        fields = ["id", "filename", "size", "content_type", "uploaded_by", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment: TaskAttachment) -> str:
        return attachment.download_url


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, max_length=1000)


class TaskCommentSerializer(serializers.ModelSerializer):
    """A comment (SPEC 10.3). ``body`` is Markdown; ``body_html`` is it rendered and sanitised."""

    author_name = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=True)

    class Meta:
        model = TaskComment
        fields = ["id", "task", "author", "author_name", "body", "body_html", "created_at", "edited_at"]
        read_only_fields = ["id", "task", "author", "author_name", "body_html", "created_at", "edited_at"]

    def get_author_name(self, comment: TaskComment) -> str:
        return str(comment.author)

    def get_body_html(self, comment: TaskComment) -> str:
        return str(render_markdown(comment.body))


def _decimal_text(value: Decimal | None) -> str | None:
    """A decimal as SPEC 9 wants it: a string, here with four places."""
    return None if value is None else format(value.quantize(FOUR_PLACES), "f")


class KpiSerializer(CampaignPartSerializer):
    """A KPI with its latest actual against the forecast; ``off_forecast`` when they differ by over 15 %."""

    latest_actual = serializers.SerializerMethodField()
    latest_actual_date = serializers.SerializerMethodField()
    forecast = serializers.SerializerMethodField()
    deviation = serializers.SerializerMethodField()
    off_forecast = serializers.SerializerMethodField()

    class Meta:
        model = Kpi
        fields = [
            "id",
            "campaign",
            "name",
            "kind",
            "unit",
            "direction",
            "baseline",
            "target",
            "latest_actual",
            "latest_actual_date",
            "forecast",
            "deviation",
            "off_forecast",
        ]
        validators: list = []  # the unique name is the service's rule (services.kpi_save / channel_save)

    def _status(self, kpi: Kpi) -> KpiStatus:
        cached = getattr(kpi, "_api_status", None)
        if cached is None:
            # Lists prefetch the readings; sorting here keeps "latest" right whatever order they came in.
            cached = kpi_status_from_readings(kpi, sorted(kpi.readings.all(), key=lambda r: r.date))
            kpi._api_status = cached
        return cached

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True, read_only=True))
    def get_latest_actual(self, kpi: Kpi) -> str | None:
        return _decimal_text(self._status(kpi).latest_actual)

    @extend_schema_field(serializers.DateField(allow_null=True, read_only=True))
    def get_latest_actual_date(self, kpi: Kpi) -> dt.date | None:
        return self._status(kpi).latest_actual_date

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True, read_only=True))
    def get_forecast(self, kpi: Kpi) -> str | None:
        return _decimal_text(self._status(kpi).forecast)

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=20,
            decimal_places=4,
            allow_null=True,
            read_only=True,
            help_text=_("|actual − forecast| / |forecast|; 0.1500 is 15 %."),
        )
    )
    def get_deviation(self, kpi: Kpi) -> str | None:
        return _decimal_text(self._status(kpi).deviation)

    @extend_schema_field(
        serializers.BooleanField(
            read_only=True, help_text=_("The latest actual deviates from its forecast by over 15 %.")
        )
    )
    def get_off_forecast(self, kpi: Kpi) -> bool:
        return self._status(kpi).off_forecast


class KpiReadingSerializer(serializers.ModelSerializer):
    actual = serializers.DecimalField(max_digits=16, decimal_places=4, required=False, allow_null=True)
    forecast = serializers.DecimalField(max_digits=16, decimal_places=4, required=False, allow_null=True)
    inputs = serializers.DictField(
        child=serializers.DecimalField(max_digits=16, decimal_places=2),
        required=False,
        write_only=True,
        help_text=_(
            'Instead of actual, for a standard kind: its formula\'s inputs, e.g. {"converted": 186, "reached": '
            "1000} for a conversion rate (actual 18.6). Rates come out in per cent."
        ),
    )

    class Meta:
        model = KpiReading
        fields = ["id", "date", "actual", "forecast", "inputs"]
        # The service upserts by date, so the model's (kpi, date) uniqueness is not a validation error here.
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("actual") is None and attrs.get("forecast") is None and not attrs.get("inputs"):
            raise serializers.ValidationError({"actual": [_("Give an actual value, a forecast, or both.")]})
        return attrs


class ChannelSerializer(CampaignPartSerializer):
    class Meta:
        model = Channel
        fields = ["id", "campaign", "type", "name", "reach_target", "conversion_target", "note"]
        validators: list = []  # the unique name is the service's rule (services.kpi_save / channel_save)
