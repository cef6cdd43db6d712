"""Review API (SPEC 9): review series and their meetings, with the meeting's actions (open, publish the minutes,
raise an action item, file a status update).

Access goes through reviews.permissions (404 for outsiders, 403 for read-only writers); writes go through
reviews.services and reviews.agenda, whose domain errors the exception handler turns into 400/403/409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.permissions import campaign_policy
from core.api.filters import query_filters
from core.api.mixins import PolicyViewSetMixin
from core.permissions import Access, parse_pk
from teams.models import User

from ..models import ActionItem, Meeting, ReviewSeries
from ..permissions import meeting_policy, series_policy
from ..selectors import agenda_with_notes
from ..services import (
    action_item_create,
    action_item_to_task,
    agenda_note_save,
    attendance_record,
    meeting_open,
    meeting_require_chair,
    minutes_publish,
    retrospective_save,
    series_save,
    status_update_file,
)
from .serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    AgendaItemSerializer,
    MeetingFilterSerializer,
    MeetingSerializer,
    MeetingUpdateSerializer,
    MinutesSerializer,
    RetrospectiveSerializer,
    ReviewSeriesSerializer,
    SeriesFilterSerializer,
    StatusUpdateSerializer,
)


class ReviewSeriesViewSet(
    PolicyViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Weekly standups, biweekly retrospectives and custom series of a campaign. Everyone who may see the
    campaign reads them; its team's leads, deputies and members create and change them. The meetings of the
    coming weeks exist as soon as a series is created or changed. Series are deactivated, not deleted."""

    serializer_class = ReviewSeriesSerializer
    policy = series_policy
    write_access = Access.WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = ReviewSeries.objects.all()

    def base_queryset(self) -> QuerySet[ReviewSeries]:
        return ReviewSeries.objects.select_related("campaign").prefetch_related(
            Prefetch("participants", queryset=User.objects.only("pk"))
        )

    def get_queryset(self) -> QuerySet[ReviewSeries]:
        if getattr(self, "swagger_fake_view", False):
            return ReviewSeries.objects.none()
        qs = super().get_queryset()
        if self.action == "list":
            filters = query_filters(SeriesFilterSerializer, self.request)
            if "campaign" in filters:
                qs = qs.filter(campaign_id=filters["campaign"])
        return qs

    def _fresh(self, series: ReviewSeries) -> dict[str, Any]:
        return ReviewSeriesSerializer(
            self.base_queryset().get(pk=series.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(parameters=[SeriesFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        campaign = data.pop("campaign")
        participants = data.pop("participants", [])
        data.setdefault("chair", request.user)
        series = series_save(campaign=campaign, actor=request.user, participants=participants, **data)
        return Response(self._fresh(series), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        series = self.get_object()
        serializer = self.get_serializer(series, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        participants = data.pop("participants", None)
        if participants is None:
            participants = list(series.participants.all())
        series = series_save(
            campaign=series.campaign, actor=request.user, participants=participants, series=series, **data
        )
        return Response(self._fresh(series))


MEETING_ACTION_ERRORS = {
    403: OpenApiResponse(description="Only the meeting's chair or the campaign's lead runs the meeting."),
    404: OpenApiResponse(description="The meeting does not exist or is not visible to you."),
}


class MeetingViewSet(PolicyViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Meetings of the series you can see, soonest first; ``?series=`` narrows to one series. Meetings are
    generated from their series; they change only through the actions below."""

    serializer_class = MeetingSerializer
    policy = meeting_policy
    queryset = Meeting.objects.all()

    def base_queryset(self) -> QuerySet[Meeting]:
        return Meeting.objects.select_related("series__campaign").prefetch_related(
            Prefetch("action_items", queryset=ActionItem.objects.order_by("done", "due_date", "id")),
            Prefetch("attendees", queryset=User.objects.only("pk")),
            "agenda_notes",
        )

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        qs = super().get_queryset()
        if self.action == "list":
            filters = query_filters(MeetingFilterSerializer, self.request)
            if "series" in filters:
                qs = qs.filter(series_id=filters["series"])
        return qs

    def needed_access(self) -> Access:
        # The actions decide who may act (the chair or lead; a participant for their own status update):
        # seeing the meeting is all the policy asks, so outsiders still get 404.
        return Access.READ

    def _chaired_meeting(self) -> Meeting:
        meeting = self.get_object()
        meeting_require_chair(meeting, self.request.user)
        return meeting

    def _fresh(self, meeting: Meeting) -> dict[str, Any]:
        return MeetingSerializer(self.base_queryset().get(pk=meeting.pk), context=self.get_serializer_context()).data

    @extend_schema(parameters=[MeetingFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=MeetingUpdateSerializer,
        responses={
            200: MeetingSerializer,
            400: OpenApiResponse(description="``attendees`` names someone who is not the chair or a participant."),
            409: OpenApiResponse(description="The minutes were published already."),
            **MEETING_ACTION_ERRORS,
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record who attended (the chair, before the minutes are published); ``attendees`` replaces the list."""
        meeting = self._chaired_meeting()
        serializer = MeetingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = attendance_record(
            meeting=meeting, actor=request.user, attendees=serializer.validated_data["attendees"]
        )
        return Response(self._fresh(meeting))

    @extend_schema(
        request=AgendaItemSerializer,
        responses={
            200: AgendaItemSerializer,
            404: OpenApiResponse(description="No such meeting visible to you, or no such agenda item."),
            409: OpenApiResponse(description="The minutes were published already."),
            403: MEETING_ACTION_ERRORS[403],
        },
        parameters=[OpenApiParameter("item_key", str, OpenApiParameter.PATH, description="The agenda item's key.")],
    )
    @action(detail=True, methods=["post"], url_path=r"agenda/(?P<item_key>[-\w]+)")
    def agenda_item(self, request: Request, pk: str | None = None, item_key: str | None = None) -> Response:
        """Write the notes and the decision on one agenda item (the chair, before publishing); a field left out
        keeps its earlier text."""
        meeting = self._chaired_meeting()
        items = {item["key"]: item for item in agenda_with_notes(meeting)}
        if item_key not in items:
            raise Http404(_("This meeting has no such agenda item."))
        serializer = AgendaItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = items[item_key]
        note = agenda_note_save(
            meeting=meeting,
            actor=request.user,
            key=item_key,
            notes=serializer.validated_data.get("notes", current["notes"]),
            decision=serializer.validated_data.get("decision", current["decision"]),
        )
        return Response({**current, "notes": note.notes, "decision": note.decision})

    @extend_schema(request=None, responses={200: MeetingSerializer, **MEETING_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        """Build the agenda from the campaign's live state (late and due tasks, milestones, risks with alerts,
        budgets awaiting sign-off, KPIs off forecast, open action items); the chair's own items are kept."""
        meeting = meeting_open(meeting=self.get_object(), actor=request.user)
        return Response(self._fresh(meeting))

    @extend_schema(
        request=MinutesSerializer,
        responses={
            200: MeetingSerializer,
            409: OpenApiResponse(description="The minutes were published already."),
            **MEETING_ACTION_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Publish the minutes (會議紀要), once: the meeting becomes held and participants and the campaign's lead
        are notified."""
        meeting = self._chaired_meeting()
        serializer = MinutesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = minutes_publish(meeting=meeting, actor=request.user, minutes=serializer.validated_data["minutes"])
        return Response(self._fresh(meeting))

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer, **MEETING_ACTION_ERRORS})
    @action(detail=True, methods=["post"], url_path="action-items")
    def action_items(self, request: Request, pk: str | None = None) -> Response:
        """Raise an action item for a lead, deputy or member of the campaign's team, who is notified. Open items
        carry over to the next meetings' agendas."""
        meeting = self._chaired_meeting()
        serializer = ActionItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = action_item_create(meeting=meeting, actor=request.user, **serializer.validated_data)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StatusUpdateSerializer,
        responses={
            200: StatusUpdateSerializer,
            403: OpenApiResponse(description="Only the series' participants file status updates."),
            409: OpenApiResponse(description="The meeting was held or cancelled already."),
        },
    )
    @action(detail=True, methods=["post"], url_path="status-update")
    def status_update(self, request: Request, pk: str | None = None) -> Response:
        """File your done / next / blockers for this meeting; filing again replaces your earlier update."""
        meeting = self.get_object()
        serializer = StatusUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = status_update_file(meeting=meeting, user=request.user, **serializer.validated_data)
        return Response(StatusUpdateSerializer(update).data)

    @extend_schema(request=RetrospectiveSerializer, responses={200: RetrospectiveSerializer, **MEETING_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def retrospective(self, request: Request, pk: str | None = None) -> Response:
        """Write (or rewrite) a retrospective's scores and report; its improvements become action items."""
        meeting = self._chaired_meeting()
        serializer = RetrospectiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        improvements = data.pop("improvements", [])
        retro = retrospective_save(meeting=meeting, actor=request.user, improvements=improvements, **data)
        return Response(RetrospectiveSerializer(retro).data)

    @extend_schema(
        request=None,
        responses={201: ActionItemSerializer, **MEETING_ACTION_ERRORS},
        parameters=[OpenApiParameter("item_pk", int, OpenApiParameter.PATH, description="The action item's id.")],
    )
    @action(detail=True, methods=["post"], url_path=r"action-items/(?P<item_pk>[^/.]+)/to-task")
    def action_item_task(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Turn one of this meeting's action items into a campaign task (once)."""
        meeting = self.get_object()
        item = get_object_or_404(ActionItem, pk=parse_pk(item_pk), meeting=meeting)
        if campaign_policy.require(request.user, meeting.series.campaign, Access.READ) < Access.WRITE:
            raise PermissionDenied(_("Your role in this campaign is read-only."))
        action_item_to_task(action=item, actor=request.user)
        item.refresh_from_db()
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)
