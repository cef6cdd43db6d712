"""Campaign API (SPEC 9): campaigns and their actions, playbooks, and the parts of a campaign's plan.

Access goes through campaigns.permissions (404 for outsiders, 403 for read-only writers); every write goes
through campaigns.services, whose domain errors the exception handler turns into 400/403/409.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Model, Prefetch, QuerySet, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import query_filters
from core.api.mixins import PolicyViewSetMixin
from core.errors import Conflict
from core.permissions import Access
from core.validators import ApiDateField

from ..activity import campaign_activity, task_activity
from ..discussion import (
    attachment_add,
    attachment_delete,
    attachment_response,
    comment_add,
    comment_delete,
    comment_edit,
    comment_require_own,
    task_attachments,
    task_comments,
)
from ..health import campaign_health, fresh_health
from ..models import (
    Campaign,
    Channel,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskAttachment,
    TaskComment,
    TaskStatus,
)
from ..permissions import campaign_part_policy, campaign_policy
from ..schedule import CycleError
from ..selectors import (
    campaign_list,
    campaign_schedule,
    phase_health_map,
    playbook_list,
    task_count_subquery,
)
from ..services import (
    campaign_copy,
    campaign_create,
    campaign_create_from_playbook,
    campaign_transition,
    campaign_update,
    channel_delete,
    channel_save,
    kpi_delete,
    kpi_record_reading,
    kpi_save,
    milestone_delete,
    milestone_save,
    phase_delete,
    phase_save,
    playbook_save_from_campaign,
    task_delete,
    task_save,
)
from .serializers import (
    CAMPAIGN_TRANSITION_REQUEST,
    ActivitySerializer,
    AttachmentUploadSerializer,
    CampaignCopySerializer,
    CampaignCreateSerializer,
    CampaignFilterSerializer,
    CampaignPartFilterSerializer,
    CampaignSerializer,
    CampaignTransitionSerializer,
    CampaignUpdateSerializer,
    ChannelSerializer,
    KpiReadingSerializer,
    KpiSerializer,
    MilestoneSerializer,
    PhaseSerializer,
    PlaybookSerializer,
    SaveAsPlaybookSerializer,
    ScheduleSerializer,
    TaskAttachmentSerializer,
    TaskCommentSerializer,
    TaskSerializer,
)

# --- Playbooks ---------------------------------------------------------------------------


class PlaybookViewSet(viewsets.ReadOnlyModelViewSet):
    """Reusable campaign templates: the built-in ones (everyone) and those saved from a campaign (its team)."""

    serializer_class = PlaybookSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Playbook.objects.none()
        return playbook_list(user=self.request.user)


# --- Campaigns ---------------------------------------------------------------------------


class CampaignViewSet(
    PolicyViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaigns the requester may see. Creating needs the lead or deputy role in the team; changing a campaign
    (PATCH, transitions, save as playbook) needs lead or deputy too. Campaigns are cancelled, not deleted."""

    serializer_class = CampaignSerializer
    policy = campaign_policy
    write_access = Access.MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Campaign.objects.all()

    def base_queryset(self) -> QuerySet[Campaign]:
        return (
            Campaign.objects.select_related("team", "lead")
            .prefetch_related("departments")
            .annotate(task_count=task_count_subquery())
        )

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        filters = query_filters(CampaignFilterSerializer, self.request)
        campaigns = campaign_list(user=self.request.user, filters=filters)
        # The list's serializer reads the department ids from the link table in one query, without the rows.
        return campaigns if self.action == "list" else campaigns.prefetch_related("departments")

    def needed_access(self) -> Access:
        # Copying reads the source; the target team's rule is the service's.
        return Access.READ if self.action == "copy" else super().needed_access()

    def _fresh(self, campaign: Campaign) -> dict[str, Any]:
        """The campaign as the API shows it, reloaded with its counts after a write."""
        reloaded = self.base_queryset().get(pk=campaign.pk)
        campaign_health(reloaded)
        return CampaignSerializer(reloaded, context=self.get_serializer_context()).data

    @extend_schema(parameters=[CampaignFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        fresh_health(self.filter_queryset(self.get_queryset()))  # health is a stored column: current first
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        campaign_health(campaign)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CampaignCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        playbook = data.pop("playbook", None)
        if playbook is None:
            campaign = campaign_create(actor=request.user, **data)
        else:
            with transaction.atomic():
                campaign = campaign_create_from_playbook(
                    actor=request.user,
                    team=data["team"],
                    playbook=playbook,
                    code=data["code"],
                    name=data["name"],
                    start_date=data["start_date"],
                    objective=data.get("objective", ""),
                    lead=data.get("lead"),
                )
                extras = {key: data[key] for key in ("departments", "time_zone") if key in data}
                if extras:
                    campaign = campaign_update(campaign=campaign, actor=request.user, **extras)
        return Response(self._fresh(campaign), status=status.HTTP_201_CREATED)

    @extend_schema(request=CampaignUpdateSerializer, responses=CampaignSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        serializer = CampaignUpdateSerializer(
            campaign, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        campaign = campaign_update(campaign=campaign, actor=request.user, **serializer.validated_data)
        return Response(self._fresh(campaign))

    @extend_schema(
        request=CAMPAIGN_TRANSITION_REQUEST,
        responses={
            200: CampaignSerializer,
            409: OpenApiResponse(description="The move is not allowed from the current status."),
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move along draft → planning → active → closing → closed, or cancel before closed."""
        campaign = self.get_object()
        serializer = CampaignTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = campaign_transition(
            campaign=campaign, actor=request.user, status=serializer.validated_data["status"]
        )
        return Response(self._fresh(campaign))

    @extend_schema(responses=ScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        """Critical path method over the campaign's tasks: earliest/latest dates, float, critical path and the
        projected end if late tasks keep slipping."""
        campaign = self.get_object()
        try:
            schedule = campaign_schedule(campaign=campaign)
        except CycleError:  # the services refuse cycles; this guards data written around them
            raise Conflict(_("The task dependencies form a cycle, so there is no schedule.")) from None
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(request=CampaignCopySerializer, responses={201: CampaignSerializer})
    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request: Request, pk: str | None = None) -> Response:
        """Who changed what in the campaign, newest first (SPEC 10.3): its plan, tasks, KPIs, channels, risks."""
        campaign = self.get_object()
        page = self.paginate_queryset(campaign_activity(campaign=campaign))
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @action(detail=True, methods=["post"])
    def copy(self, request: Request, pk: str | None = None) -> Response:
        """A new draft campaign with this one's whole plan, every date shifted to the new start date."""
        source = self.get_object()
        serializer = CampaignCopySerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        campaign = campaign_copy(actor=request.user, source=source, **serializer.validated_data)
        return Response(self._fresh(campaign), status=status.HTTP_201_CREATED)

    @extend_schema(request=SaveAsPlaybookSerializer, responses={201: PlaybookSerializer})
    @action(detail=True, methods=["post"], url_path="save-as-playbook")
    def save_as_playbook(self, request: Request, pk: str | None = None) -> Response:
        """Save this campaign's plan as a playbook any team can start from."""
        campaign = self.get_object()
        serializer = SaveAsPlaybookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        playbook = playbook_save_from_campaign(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(PlaybookSerializer(playbook).data, status=status.HTTP_201_CREATED)


# --- Parts of a campaign -------------------------------------------------------------------


class CampaignPartViewSet(PolicyViewSetMixin, viewsets.ModelViewSet):
    """Rows of a campaign's plan. Reading needs any standing in the campaign's team (or an org-wide reader
    role); writing needs lead, deputy or member. ``?campaign=`` narrows the list to one campaign."""

    policy = campaign_part_policy
    write_access = Access.WRITE
    queryset: QuerySet

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        qs = super().get_queryset()
        if self.action == "list":
            filters = query_filters(CampaignPartFilterSerializer, self.request)
            if "campaign" in filters:
                qs = qs.filter(campaign_id=filters["campaign"])
        return qs

    @extend_schema(parameters=[CampaignPartFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def writable_campaign(self, campaign: Campaign) -> Campaign:
        """The campaign a new row goes into: the serializer only offers visible ones, so this is 403 or fine."""
        campaign_policy.require(self.request.user, campaign, Access.WRITE)
        return campaign

    def perform_destroy(self, instance: Model) -> None:
        self.delete_service(instance, actor=self.request.user)

    def delete_service(self, instance: Model, *, actor: Any) -> None:
        raise NotImplementedError  # each part deletes through its service (audited)


class PhaseViewSet(CampaignPartViewSet):
    """Phases with their health light (green on plan, yellow needs attention, red urgent intervention)."""

    serializer_class = PhaseSerializer
    queryset = Phase.objects.select_related("campaign")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["health"] = getattr(self, "_health", {})
        return context

    @extend_schema(parameters=[CampaignPartFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        phases = list(page if page is not None else queryset)
        # Health for the whole page at once: a constant number of queries, whatever the page size.
        self._health = phase_health_map(phases=phases)
        data = self.get_serializer(phases, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def perform_create(self, serializer: PhaseSerializer) -> None:
        data = dict(serializer.validated_data)
        campaign = self.writable_campaign(data.pop("campaign"))
        serializer.instance = phase_save(campaign=campaign, actor=self.request.user, **data)

    def perform_update(self, serializer: PhaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        phase = serializer.instance
        serializer.instance = phase_save(campaign=phase.campaign, actor=self.request.user, phase=phase, **data)

    def delete_service(self, instance: Phase, *, actor: Any) -> None:
        phase_delete(phase=instance, actor=actor)


class MilestoneViewSet(CampaignPartViewSet):
    """Key checkpoints (關鍵節點) of a phase, with their deliverables; the campaign follows from the phase."""

    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.all()

    def perform_create(self, serializer: MilestoneSerializer) -> None:
        data = dict(serializer.validated_data)
        campaign = self.writable_campaign(data["phase"].campaign)
        serializer.instance = milestone_save(campaign=campaign, actor=self.request.user, **data)

    def perform_update(self, serializer: MilestoneSerializer) -> None:
        milestone = serializer.instance
        serializer.instance = milestone_save(
            campaign=milestone.campaign, actor=self.request.user, milestone=milestone, **serializer.validated_data
        )

    def delete_service(self, instance: Milestone, *, actor: Any) -> None:
        milestone_delete(milestone=instance, actor=actor)


class TaskViewSet(CampaignPartViewSet):
    """Tasks with finish-to-start dependencies (``depends_on``); a write that would make a cycle is refused
    with the cycle named."""

    serializer_class = TaskSerializer
    queryset = Task.objects.prefetch_related("depends_on", "watcher_links")

    def perform_create(self, serializer: TaskSerializer) -> None:
        data = dict(serializer.validated_data)
        campaign = self.writable_campaign(data.pop("campaign"))
        depends_on = data.pop("depends_on", None)
        serializer.instance = task_save(campaign=campaign, actor=self.request.user, depends_on=depends_on, **data)

    def perform_update(self, serializer: TaskSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        depends_on = data.pop("depends_on", None)
        task = serializer.instance
        serializer.instance = task_save(
            campaign=task.campaign, actor=self.request.user, task=task, depends_on=depends_on, **data
        )

    def delete_service(self, instance: Task, *, actor: Any) -> None:
        task_delete(task=instance, actor=actor)

    @extend_schema(methods=["GET"], responses=TaskCommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=TaskCommentSerializer, responses={201: TaskCommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """The task's comments, oldest first (SPEC 10.3). POST ``{"body"}`` (team writers) posts one; ``@username``
        notifies that person, the owner and watchers hear of it too."""
        task = self.get_object()
        if request.method == "POST":
            serializer = TaskCommentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            comment = comment_add(task=task, author=request.user, body=serializer.validated_data["body"])
            return Response(TaskCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(task_comments(task=task))
        return self.get_paginated_response(TaskCommentSerializer(page, many=True).data)

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="activity", url_name="activity")
    def task_activity_list(self, request: Request, pk: str | None = None) -> Response:
        """Who changed what on the task, newest first: its fields, dependencies, comments and attachments."""
        task = self.get_object()
        page = self.paginate_queryset(task_activity(task=task))
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=TaskAttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: TaskAttachmentSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """The task's attachments. POST a multipart ``file`` (team writers; at most ATTACHMENT_MAX_BYTES)."""
        task = self.get_object()
        if request.method == "POST":
            upload = AttachmentUploadSerializer(data=request.data)
            upload.is_valid(raise_exception=True)
            attachment = attachment_add(task=task, actor=request.user, upload=upload.validated_data["file"])
            return Response(TaskAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(task_attachments(task=task))
        return self.get_paginated_response(TaskAttachmentSerializer(page, many=True).data)

    @extend_schema(methods=["DELETE"], responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"attachments/(?P<attachment_pk>[0-9]{1,18})",
            url_name="attachment-detail")  # fmt: skip
    def attachment_detail(self, request: Request, pk: str | None = None, attachment_pk: str | None = None) -> Response:
        """The uploader deletes their attachment."""
        task = self.get_object()
        attachment = get_object_or_404(TaskAttachment.objects.select_related("task"), task=task, pk=attachment_pk)
        attachment_delete(attachment=attachment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_pk>[0-9]{1,18})/download",
            url_name="attachment-download")  # fmt: skip
    def attachment_download(self, request: Request, pk: str | None = None, attachment_pk: str | None = None):
        """The file, for anyone who reads the task: images inline (previews), anything else as a download of
        type application/octet-stream, so a browser never runs what was uploaded."""
        task = self.get_object()
        attachment = get_object_or_404(TaskAttachment, task=task, pk=attachment_pk)
        return attachment_response(attachment)

    @extend_schema(methods=["PATCH"], request=TaskCommentSerializer, responses=TaskCommentSerializer)
    @extend_schema(methods=["DELETE"], responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"comments/(?P<comment_pk>[0-9]{1,18})",
            url_name="comment-detail")  # fmt: skip
    def comment_detail(self, request: Request, pk: str | None = None, comment_pk: str | None = None) -> Response:
        """Its author edits a comment within 15 minutes of posting it (PATCH ``{"body"}``) or deletes it."""
        task = self.get_object()
        comment = get_object_or_404(TaskComment.objects.select_related("task__campaign"), task=task, pk=comment_pk)
        comment_require_own(comment=comment, actor=request.user, verb=request.method.lower())  # 403 before 400
        if request.method == "DELETE":
            comment_delete(comment=comment, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = TaskCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_edit(comment=comment, actor=request.user, body=serializer.validated_data["body"])
        return Response(TaskCommentSerializer(comment).data)


class KpiViewSet(CampaignPartViewSet):
    """KPIs with their latest actual against the forecast; ``readings/`` lists and records dated values."""

    serializer_class = KpiSerializer
    queryset = Kpi.objects.prefetch_related(Prefetch("readings", queryset=KpiReading.objects.order_by("date")))

    def perform_create(self, serializer: KpiSerializer) -> None:
        data = dict(serializer.validated_data)
        campaign = self.writable_campaign(data.pop("campaign"))
        serializer.instance = kpi_save(campaign=campaign, actor=self.request.user, **data)

    def perform_update(self, serializer: KpiSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        kpi = serializer.instance
        serializer.instance = kpi_save(campaign=kpi.campaign, actor=self.request.user, kpi=kpi, **data)

    def delete_service(self, instance: Kpi, *, actor: Any) -> None:
        kpi_delete(kpi=instance, actor=actor)

    @extend_schema(methods=["GET"], responses=KpiReadingSerializer(many=True))
    @extend_schema(methods=["POST"], request=KpiReadingSerializer, responses={201: KpiReadingSerializer})
    @action(detail=True, methods=["get", "post"])
    def readings(self, request: Request, pk: str | None = None) -> Response:
        """The KPI's dated readings, oldest first. POST records one; a second POST for a date updates it."""
        kpi = self.get_object()
        if request.method == "POST":
            serializer = KpiReadingSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            reading = kpi_record_reading(kpi=kpi, actor=request.user, **serializer.validated_data)
            return Response(KpiReadingSerializer(reading).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(kpi.readings.order_by("date"))
        return self.get_paginated_response(KpiReadingSerializer(page, many=True).data)


class ChannelViewSet(CampaignPartViewSet):
    """Reach channels (APP push, SMS, social, stores, partners, …) with their reach and conversion targets."""

    serializer_class = ChannelSerializer
    queryset = Channel.objects.all()

    def perform_create(self, serializer: ChannelSerializer) -> None:
        data = dict(serializer.validated_data)
        campaign = self.writable_campaign(data.pop("campaign"))
        serializer.instance = channel_save(campaign=campaign, actor=self.request.user, **data)

    def perform_update(self, serializer: ChannelSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        channel = serializer.instance
        serializer.instance = channel_save(campaign=channel.campaign, actor=self.request.user, channel=channel, **data)

    def delete_service(self, instance: Channel, *, actor: Any) -> None:
        channel_delete(channel=instance, actor=actor)


class MyTaskFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    due_before = ApiDateField(required=False, help_text=gettext_lazy("Only tasks due on or before this day."))


class MyTasksView(generics.ListAPIView):
    """``GET me/tasks/`` (SPEC 10.3): the requester's tasks in every campaign they can read, unfinished ones
    first, each group earliest due first (so late ones lead). ``?status=`` and ``?due_before=`` narrow it."""

    serializer_class = TaskSerializer

    @extend_schema(parameters=[MyTaskFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Task]:
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        filters = query_filters(MyTaskFilterSerializer, self.request)
        tasks = campaign_part_policy.visible(self.request.user, Task.objects.filter(owner_id=self.request.user.pk))
        if "status" in filters:
            tasks = tasks.filter(status=filters["status"])
        if "due_before" in filters:
            tasks = tasks.filter(due_date__lte=filters["due_before"])
        finished = Case(When(status=TaskStatus.DONE, then=1), default=0, output_field=IntegerField())
        return tasks.prefetch_related("depends_on", "watcher_links").order_by(finished, "due_date", "pk")
