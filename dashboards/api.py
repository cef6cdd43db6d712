"""API views of the dashboards layer (SPEC 10.3): the personal calendar feed's URL and its reset, and search."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .calendar_feed import calendar_feed_reset, calendar_feed_url
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
