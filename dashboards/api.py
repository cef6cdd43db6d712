"""API views of the dashboards layer: the personal calendar feed's URL and its reset, and search (SPEC 10.3); a
campaign's channel returns (SPEC 10.6)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.permissions import get_campaign_for_user

from .calendar_feed import calendar_feed_reset, calendar_feed_url
from .channel_returns import channel_returns, parse_month
from .search import MAX_QUERY_LENGTH, TYPES, search

FEED = inline_serializer("CalendarFeed", fields={"url": serializers.URLField()})


class MyCalendarView(APIView):
    """``GET me/calendar/`` → ``{"url"}``: the requester's ICS feed, fetched without logging in."""

    @extend_schema(responses=FEED)
    def get(self, request: Request) -> Response:
        return Response({"url": calendar_feed_url(user=request.user, request=request)})


class MyCalendarResetView(APIView):
    """``POST me/calendar/reset/`` → ``{"url"}``: a new secret address; the old one answers 404 from now on."""

    @extend_schema(request=None, responses=FEED)
    def post(self, request: Request) -> Response:
        calendar_feed_reset(user=request.user)
        return Response({"url": calendar_feed_url(user=request.user, request=request)})


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=MAX_QUERY_LENGTH, trim_whitespace=True)


RESULTS = inline_serializer(
    "SearchResults",
    fields={
        "results": inline_serializer(
            "SearchResult",
            fields={
                "type": serializers.ChoiceField(choices=list(TYPES)),
                "id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "url": serializers.CharField(),
                "campaign": serializers.CharField(),
            },
            many=True,
        )
    },
)


class SearchView(APIView):
    """``GET search/?q=`` (SPEC 10.3): campaigns, tasks, milestones, risks, meetings and comments the requester
    can read whose name, title or text contains ``q`` (Chinese substrings too), at most 8 of each kind."""

    @extend_schema(parameters=[SearchQuerySerializer], responses=RESULTS)
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = search(user=request.user, q=query.validated_data["q"])
        return Response({"results": [r.as_dict() for r in results]})


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _percent(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=4, decimal_places=1, **kwargs)


class ChannelReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="channel.pk")
    name = serializers.CharField(source="channel.name")
    type = serializers.CharField(source="channel.type")
    group = serializers.CharField()
    spent = _money()
    budgeted = _money()
    members_new = serializers.IntegerField()
    members_paid = serializers.IntegerField()
    cost_per_member = _money(allow_null=True)
    cost_per_paid_member = _money(allow_null=True)


class GuideShareSerializer(serializers.Serializer):
    group = serializers.CharField()
    label = serializers.CharField()
    guide = _percent(allow_null=True, help_text="The 4321 guide's share in % (null: outside the guide).")
    budgeted = _money()
    planned_share = _percent(allow_null=True)
    spent = _money()
    share = _percent(allow_null=True, help_text="Share of the spend so far in %; null before any spend.")
    note = serializers.CharField(allow_blank=True)


class UnattributedSerializer(serializers.Serializer):
    spent = _money()
    budgeted = _money()
    members_new = serializers.IntegerField()
    members_paid = serializers.IntegerField()


class BudgetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    status = serializers.CharField()


class RebalanceSerializer(serializers.Serializer):
    possible = serializers.BooleanField()
    from_channel = serializers.IntegerField(source="source.channel.pk", allow_null=True, default=None)
    to_channel = serializers.IntegerField(source="target.channel.pk", allow_null=True, default=None)
    amount = _money(allow_null=True)
    reason = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.possible:
            data.update(from_channel=None, to_channel=None, amount=None)
        return data


class ChannelReturnsSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign.pk")
    plan = BudgetRefSerializer(allow_null=True, help_text="The budget version the planned figures come from.")
    open_version = BudgetRefSerializer(allow_null=True, help_text="A draft or in-review version, if any.")
    spent_total = _money()
    budgeted_total = _money()
    channels = ChannelReturnSerializer(many=True)
    unattributed = UnattributedSerializer()
    groups = GuideShareSerializer(many=True)
    rebalance = RebalanceSerializer(source="proposal")
    month = serializers.CharField(
        source="month.label",
        allow_null=True,
        default=None,
        help_text="The month (YYYY-MM) spend and members are counted in; null: the whole campaign.",
    )


class ChannelReturnsView(APIView):
    """``GET campaigns/{id}/channel-returns/`` (SPEC 10.6): per channel ``spent`` (expenses on lines naming it),
    ``members_new``, ``members_paid`` (annual fee > 0), ``cost_per_member`` and ``cost_per_paid_member`` (null when
    there is nobody to divide by); per part of the 4321 guide the planned and spent ``share`` against ``guide`` with
    a plain-language ``note``; and what a re-balance would move now. Readers of the campaign read it; others 404.
    ``?month=YYYY-MM`` counts only that month's expenses and the members who joined in it (the plan stays whole);
    ``month`` in the answer echoes it, null for the whole campaign. A malformed month is a 400 on ``month``.
    Definitions: dashboards/channel_returns.py and dashboards/spend_guide.py."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                required=False,
                description="YYYY-MM (years 2000 to 2100): count only the expenses dated and the members joined in "
                "that month. Empty or absent: the whole campaign.",
            )
        ],
        responses={
            200: ChannelReturnsSerializer,
            400: OpenApiResponse(description="A month that is not YYYY-MM (field error on month)."),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_campaign_for_user(request.user, pk)
        month = parse_month(request.query_params.get("month"))
        returns = channel_returns(campaign=campaign, user=request.user, month=month)
        return Response(ChannelReturnsSerializer(returns).data)
