"""Membership API (SPEC 9): current tiers, members (read-only, masked unless ``members.view_pii``), imports.

Members are written only by imports: ``POST members/import/`` (lead or deputy of any team, or admin) stores
the file and queues the Celery job, answering 202 with the job; ``GET members/imports/{id}/`` shows its
progress and first errors, ``errors.csv`` all of them. Visibility is privacy.member_list_for: an outsider
gets an empty list and 404 on details; someone else's import job is 404 too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotAllowed
from core.exports import export_filename, export_response
from core.permissions import parse_pk

from .. import exports
from ..forms import filter_members
from ..models import ImportJob, ImportRowError, Member, Tier
from ..permissions import can_import, can_record_points, can_view_pii, member_list_for
from ..points import points_record
from ..selectors import import_job_list_for
from ..services import import_job_create
from ..tiers import rule_set_in_effect
from .serializers import (
    ERRORS_SHOWN,
    ImportJobSerializer,
    ImportUploadSerializer,
    MemberDetailSerializer,
    MemberFilterSerializer,
    MemberSerializer,
    PointsEntrySerializer,
    PointsRecordedSerializer,
    PointsRecordSerializer,
    TierSerializer,
)


class TierViewSet(viewsets.ReadOnlyModelViewSet):
    """The tiers of the rule set in effect today, lowest first. Readable by everyone signed in."""

    serializer_class = TierSerializer

    def get_queryset(self) -> QuerySet[Tier]:
        if getattr(self, "swagger_fake_view", False):
            return Tier.objects.none()
        return Tier.objects.filter(rule_set=rule_set_in_effect()).order_by("rank")


class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    """Members the requester may see, newest first. ``name`` and ``phone`` are masked unless the requester
    holds ``members.view_pii``; ``search`` matches names and phones only for those who may see them."""

    serializer_class = MemberSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Member]:
        if getattr(self, "swagger_fake_view", False):
            return Member.objects.none()
        members = member_list_for(self.request.user).select_related("points_balance")
        if self.action == "list":
            data = {key: value for key, value in self.request.query_params.items() if value.strip()}
            serializer = MemberFilterSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            filters = dict(serializer.validated_data)
            if "search" in filters:
                filters["q"] = filters.pop("search")
            members = filter_members(members, filters, pii=can_view_pii(self.request.user))
        return members

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["pii"] = can_view_pii(self.request.user)
        return context

    @extend_schema(parameters=[MemberFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self) -> type:
        # SPEC 10.6: one member adds its tier history (the list stays one query per page).
        if self.action == "retrieve":
            return MemberDetailSerializer
        return super().get_serializer_class()

    @extend_schema(
        methods=["GET"],
        responses={200: PointsEntrySerializer(many=True), 404: OpenApiResponse(description="No such member of yours.")},
    )
    @extend_schema(
        methods=["POST"],
        request=PointsRecordSerializer,
        responses={
            201: PointsRecordedSerializer,
            400: OpenApiResponse(description="A field error, e.g. a spend larger than the balance (on delta)."),
            403: OpenApiResponse(description="Only the team's lead or deputy (or an admin) records points."),
            404: OpenApiResponse(description="No such member of yours."),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="points")
    def points(self, request: Request, pk: Any = None) -> Response:
        """The member's points ledger, newest first (GET, paginated). POST adds an entry (SPEC 10.6): earn,
        redeem (a benefit too) or adjust; entries are never edited, and the balance never goes below 0."""
        members = member_list_for(request.user).select_related("source_campaign", "points_balance")
        member = members.filter(pk=parse_pk(pk)).first()
        if member is None:
            raise Http404(_("Not found."))
        if request.method == "GET":
            entries = member.points_entries.select_related("created_by").order_by("-created_at", "-id")
            page = self.paginate_queryset(entries)
            return self.get_paginated_response(PointsEntrySerializer(page, many=True).data)
        if not can_record_points(request.user, member):
            raise NotAllowed(_("Only the team's lead or deputy (or an admin) records points."))
        serializer = PointsRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = points_record(actor=request.user, member=member, **serializer.validated_data)
        data = PointsRecordedSerializer(entry).data
        data["balance"] = member.points
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: ImportJobSerializer,
            400: OpenApiResponse(description="No file, an empty file, or not .csv / .xlsx."),
            403: OpenApiResponse(description="Only a team lead or deputy (or an admin) imports members."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        """Upload a CSV or XLSX of members (columns: external_id, name, phone, annual_fee, age_band, consent,
        source_campaign, source_channel). The import runs as a background job; poll ``members/imports/{id}/``."""
        if not can_import(request.user):
            raise NotAllowed(_("Only a team lead or deputy can import members."))
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = import_job_create(
            actor=request.user,
            upload=serializer.validated_data["file"],
            campaign=serializer.validated_data.get("campaign"),
            dry_run=serializer.validated_data.get("dry_run", False),
        )
        job = import_jobs_with_errors(import_job_list_for(user=request.user)).get(pk=job.pk)
        return Response(ImportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


def import_jobs_with_errors(jobs: QuerySet[ImportJob]) -> QuerySet[ImportJob]:
    """Each job with its first 1,000 errors, fetched for the whole page in one query."""
    first = ImportRowError.objects.order_by("row", "id")[:ERRORS_SHOWN]
    return jobs.prefetch_related(Prefetch("row_errors", queryset=first, to_attr="first_errors"))


class ImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """The requester's member imports, newest first (an admin sees everybody's), with progress and errors."""

    serializer_class = ImportJobSerializer

    def get_queryset(self) -> QuerySet[ImportJob]:
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return import_jobs_with_errors(import_job_list_for(user=self.request.user))


class ImportErrorsView(APIView):
    """The full error report of one of the requester's imports: ``row`` (1 = first data row) and ``message``."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is CSV whatever the Accept header says (errors are JSON); never 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="v1_members_imports_errors_csv",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV with the columns row, message."),
            404: OpenApiResponse(description="No such import of yours."),
        },
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        job = import_job_list_for(user=request.user).filter(pk=parse_pk(pk)).first()
        if job is None:
            raise Http404(_("Not found."))
        filename = export_filename(f"import-{job.pk}-errors", "csv")
        return export_response(exports.import_errors_sheet(job), "csv", filename, stream=True)


class ImportReportView(APIView):
    """The fixable error report of one of the requester's imports (SPEC 10.6): the refused rows exactly as
    uploaded, under the upload's header, plus an ``error`` column with all messages of the row — CSV in the
    upload's encoding for a CSV upload, XLSX for an XLSX upload."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is the upload's format whatever the Accept header says (errors are JSON); never 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="v1_members_imports_report",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="A CSV upload's refused rows."),
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="An XLSX upload's refused rows."
            ),
            404: OpenApiResponse(description="No such import of yours."),
        },
    )
    def get(self, request: Request, pk: int) -> Any:
        job = import_job_list_for(user=request.user).filter(pk=parse_pk(pk)).first()
        if job is None:
            raise Http404(_("Not found."))
        return exports.import_report_response(job)
