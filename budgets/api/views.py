"""Budgets API: versions with their lines, submit/withdraw/revise, sign-offs, expenses and diffs (SPEC 4)."""

from __future__ import annotations

from django.db.models import DecimalField, Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.mixins import PolicyViewSetMixin
from core.permissions import MAX_PK, Access

from .. import selectors, services
from ..models import Budget, BudgetLine, BudgetStatus, Expense, Signoff
from ..permissions import budget_policy
from ..selectors import budget_left_review, late_signoff_conflict, signoff_queue
from .serializers import (
    BudgetSerializer,
    DiffRowSerializer,
    ExpenseSerializer,
    SignoffRequestSerializer,
    SignoffResponseSerializer,
)


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [_("Give an integer id.")]}) from None
    if not 0 < value <= MAX_PK:  # beyond a bigint the database itself would fail (500)
        raise ValidationError({name: [_("Give an integer id.")]})
    return value


def _lines_payload(lines: list[dict]) -> list[dict]:
    return [{**line, "channel": line.get("channel").pk if line.get("channel") else None} for line in lines]


class BudgetViewSet(
    PolicyViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Budget versions. Lead/deputy of the campaign's team create and edit drafts; a write with ``lines``
    replaces them all; editing anything but a draft is 409. Approvers see budgets awaiting sign-off."""

    serializer_class = BudgetSerializer
    policy = budget_policy
    write_access = Access.MANAGE
    queryset = Budget.objects.all()

    def base_queryset(self):
        lines = BudgetLine.objects.annotate(
            spent=Coalesce(
                Sum("expenses__amount"), Value(0), output_field=DecimalField(max_digits=14, decimal_places=2)
            )
        ).order_by("position", "id")
        return Budget.objects.select_related("campaign").prefetch_related(
            Prefetch("lines", queryset=lines), Prefetch("signoffs", queryset=Signoff.objects.select_related("signer"))
        )

    def needed_access(self) -> Access:
        # Approvers hold read access only; signing is decided by the sign-off rules, not by write access.
        if self.action in ("signoffs", "diff"):
            return Access.READ
        return super().needed_access()

    @extend_schema(
        parameters=[OpenApiParameter("campaign", int), OpenApiParameter("status", str, enum=BudgetStatus.values)]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset().order_by("campaign_id", "-version")
        campaign = _int_param(self.request, "campaign")
        if campaign is not None:
            qs = qs.filter(campaign_id=campaign)
        wanted = self.request.query_params.get("status")
        if wanted:
            # Only a known status reaches the database: junk such as a NUL byte made PostgreSQL fail (500).
            if wanted not in BudgetStatus.values:
                raise ValidationError(
                    {"status": [_("Use one of: %(choices)s.") % {"choices": ", ".join(BudgetStatus.values)}]}
                )
            qs = qs.filter(status=wanted)
        return qs

    def _respond(self, budget: Budget, code: int = status.HTTP_200_OK) -> Response:
        budget = self.base_queryset().get(pk=budget.pk)
        return Response(BudgetSerializer(budget, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget = services.budget_create(
            actor=request.user,
            campaign=data["campaign"],
            total=data["total"],
            reserve_pct=data.get("reserve_pct", "10"),
            lines=_lines_payload(data["lines"]),
            note=data.get("note", ""),
        )
        return self._respond(budget, status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        budget = self.get_object()
        serializer = self.get_serializer(budget, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget = services.budget_update(
            budget=budget,
            actor=request.user,
            total=data.get("total"),
            reserve_pct=data.get("reserve_pct"),
            lines=_lines_payload(data["lines"]) if "lines" in data else None,
            note=data.get("note"),
        )
        return self._respond(budget)

    @extend_schema(request=None, responses=BudgetSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(services.budget_submit(budget=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=BudgetSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(services.budget_withdraw(budget=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses={201: BudgetSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(
            services.budget_revise(budget=self.get_object(), actor=request.user), status.HTTP_201_CREATED
        )

    @extend_schema(request=SignoffRequestSerializer, responses={201: SignoffResponseSerializer})
    @action(detail=True, methods=["post"])
    def signoffs(self, request: Request, pk: str | None = None) -> Response:
        try:
            budget = self.get_object()
        except Http404:
            late = budget_left_review(user=request.user, pk=pk)
            if late is None:
                raise
            raise late_signoff_conflict(late) from None
        serializer = SignoffRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signoff = services.signoff_record(budget=budget, signer=request.user, **serializer.validated_data)
        signoff.budget_status = Budget.objects.values_list("status", flat=True).get(pk=budget.pk)
        return Response(SignoffResponseSerializer(signoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DiffRowSerializer(many=True), parameters=[OpenApiParameter("against", int)])
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list, and so documented
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Line changes against ``?against=<budget id>`` (default: the version this one was revised from)."""
        budget = self.get_object()
        against_id = _int_param(request, "against") or budget.revised_from_id
        if against_id is None:
            return Response([])
        other = budget_policy.get(request.user, Budget.objects.all(), against_id)
        if other.campaign_id != budget.campaign_id:
            raise ValidationError({"against": [_("Compare versions of the same campaign.")]})
        return Response(DiffRowSerializer(selectors.budget_diff(other, budget), many=True).data)

    @extend_schema(responses=BudgetSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="awaiting-my-signoff")
    def awaiting_my_signoff(self, request: Request) -> Response:
        """Budgets in review that the requester may still sign, oldest submission first."""
        page = self.paginate_queryset(signoff_queue(user=request.user).prefetch_related("lines", "signoffs"))
        return self.get_paginated_response(
            BudgetSerializer(page, many=True, context=self.get_serializer_context()).data
        )


class ExpenseViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Actual spend against lines of approved budgets; ``?budget=`` filters. Lead/deputy record expenses."""

    serializer_class = ExpenseSerializer

    def get_queryset(self):
        visible = budget_policy.visible(self.request.user, Budget.objects.all())
        qs = Expense.objects.filter(line__budget__in=visible.values("pk")).select_related("line")
        budget = _int_param(self.request, "budget")
        if budget is not None:
            qs = qs.filter(line__budget_id=budget)
        return qs

    @extend_schema(parameters=[OpenApiParameter("budget", int)])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget_policy.require(request.user, data["line"].budget, Access.READ)
        expense = services.expense_record(
            line=data["line"],
            actor=request.user,
            amount=data["amount"],
            date=data["date"],
            description=data["description"],
        )
        return Response(ExpenseSerializer(expense).data, status=status.HTTP_201_CREATED)
