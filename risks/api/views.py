"""Risk API (SPEC 9): the register with its filters, the 5×5 matrix, acknowledging alerts, and reviews.

Access goes through risks.permissions (404 for outsiders, 403 for read-only writers); every write goes through
risks.services, whose domain errors the exception handler turns into 400/403/409.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.selectors import campaign_today
from core.api.filters import query_filters
from core.api.mixins import PolicyViewSetMixin
from core.permissions import Access
from core.services.audit import audit_record

from ..models import Risk
from ..permissions import risk_policy
from ..ratings import RATINGS
from ..selectors import matrix_counts, register_queryset
from ..services import risk_acknowledge, risk_review_record, risk_save
from .serializers import (
    MatrixFilterSerializer,
    MatrixSerializer,
    RiskFilterSerializer,
    RiskReviewSerializer,
    RiskSerializer,
)


class RiskViewSet(PolicyViewSetMixin, viewsets.ModelViewSet):
    """The risk register. Everyone who may see a campaign reads its risks; its team's leads, deputies and
    members write them. Lists are sorted red → yellow → blue → none, then by score (highest first).
    ``score``, ``band`` and ``alert_level`` are computed: a write of them is ignored."""

    serializer_class = RiskSerializer
    policy = risk_policy
    write_access = Access.WRITE
    queryset = Risk.objects.all()

    def base_queryset(self) -> QuerySet[Risk]:
        return Risk.objects.select_related("campaign", "owner")

    def get_queryset(self) -> QuerySet[Risk]:
        if getattr(self, "swagger_fake_view", False):
            return Risk.objects.none()
        qs = super().get_queryset()
        if self.action == "list":
            qs = register_queryset(qs, query_filters(RiskFilterSerializer, self.request))
        return qs

    def needed_access(self) -> Access:
        # Acknowledging is decided by the service (the owner, or the campaign's lead/deputy), not by write access.
        if self.action == "acknowledge":
            return Access.READ
        return super().needed_access()

    def _fresh(self, risk: Risk) -> dict[str, Any]:
        """The risk as the API shows it, reloaded after a write (the service set its alert level)."""
        return RiskSerializer(self.base_queryset().get(pk=risk.pk), context=self.get_serializer_context()).data

    @extend_schema(parameters=[RiskFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        campaign = data.pop("campaign")
        risk = risk_save(campaign=campaign, actor=request.user, **data)
        return Response(self._fresh(risk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        risk = self.get_object()
        serializer = self.get_serializer(risk, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        risk = risk_save(campaign=risk.campaign, actor=request.user, risk=risk, **data)
        return Response(self._fresh(risk))

    def perform_destroy(self, instance: Risk) -> None:
        with transaction.atomic():
            audit_record(
                actor=self.request.user,
                action="risk.deleted",
                obj=instance,
                before={"title": instance.title, "campaign": instance.campaign.code, "status": instance.status},
            )
            instance.delete()

    @extend_schema(parameters=[MatrixFilterSerializer], responses=MatrixSerializer)
    @action(detail=False, methods=["get"])
    def matrix(self, request: Request) -> Response:
        """The 5×5 heat map: how many live risks (open, monitoring or occurred — mitigated and closed ones carry
        no exposure) sit in each probability × impact cell, over the risks you can see. Always 25 cells, zeros
        included, counted in one aggregate query; a campaign you cannot see gives all zeros."""
        filters = query_filters(MatrixFilterSerializer, request)
        risks = risk_policy.visible(request.user, Risk.objects.all())
        if "campaign" in filters:
            risks = risks.filter(campaign_id=filters["campaign"])
        counts = matrix_counts(risks)
        cells = [{"probability": p, "impact": i, "count": counts.get((p, i), 0)} for p in RATINGS for i in RATINGS]
        return Response(MatrixSerializer({"cells": cells}).data)

    @extend_schema(
        request=None,
        responses={
            200: RiskSerializer,
            403: OpenApiResponse(description="Only the risk's owner or the campaign's lead/deputy acknowledges."),
            409: OpenApiResponse(description="The risk has no alert, or its alert was already acknowledged."),
        },
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge the risk's current alert (stops the 24-hour escalation to the lead). A later, higher
        level needs a fresh acknowledgement."""
        risk = risk_acknowledge(risk=self.get_object(), actor=request.user)
        return Response(self._fresh(risk))

    @extend_schema(methods=["GET"], responses=RiskReviewSerializer(many=True))
    @extend_schema(methods=["POST"], request=RiskReviewSerializer, responses={201: RiskReviewSerializer})
    @action(detail=True, methods=["get", "post"])
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        """The risk's reviews, newest first: each re-rates probability and impact and keeps the previous ones,
        so together they are the history of its score. POST records one (team members)."""
        risk = self.get_object()
        if request.method == "POST":
            serializer = RiskReviewSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            review = risk_review_record(
                risk=risk,
                actor=request.user,
                reviewed_on=data.get("reviewed_on") or campaign_today(risk.campaign),
                probability=data["probability"],
                impact=data["impact"],
                notes=data.get("notes", ""),
            )
            return Response(RiskReviewSerializer(review).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(risk.reviews.select_related("reviewer").order_by("-reviewed_on", "-id"))
        return self.get_paginated_response(RiskReviewSerializer(page, many=True).data)
