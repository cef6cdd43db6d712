"""Teams API: ``me`` (read, change language and time zone), departments, teams and their members."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.mixins import PolicyViewSetMixin
from core.api.pagination import StandardPagination
from core.errors import NotAllowed
from core.permissions import Access, parse_pk

from ..models import ChatChannel, Team, TeamMembership
from ..permissions import get_team_for_user, team_policy
from ..selectors import department_list, team_members
from ..services import (
    can_manage_members,
    chat_channel_delete,
    chat_channel_save,
    chat_channel_test,
    membership_remove,
    membership_set,
)
from .serializers import (
    ChatChannelSerializer,
    ChatDeliverySerializer,
    DepartmentSerializer,
    MeSerializer,
    TeamMemberRoleSerializer,
    TeamMemberSerializer,
    TeamSerializer,
)


class MeView(generics.RetrieveUpdateAPIView):
    """The requesting user. PATCH changes display name, email, language or time zone."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSerializer
    queryset = department_list()


class TeamViewSet(PolicyViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Teams the requester belongs to (executives and admins see all); outsiders get 404."""

    serializer_class = TeamSerializer
    policy = team_policy
    queryset = Team.objects.annotate(member_count=Count("memberships")).order_by("name")


class TeamMemberViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Members of one team. Reading needs any role in the team; lead/deputy (or admin) add, change and remove."""

    serializer_class = TeamMemberSerializer
    lookup_field = "user"
    queryset = TeamMembership.objects.none()

    def team(self, need: Access = Access.READ) -> Team:
        team = get_team_for_user(self.request.user, self.kwargs["team_pk"], need=need)
        if need >= Access.MANAGE and not can_manage_members(self.request.user, team):
            raise NotAllowed(_("Only the team's lead or an administrator can change its members."))
        return team

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TeamMembership.objects.none()
        return team_members(team=self.team())

    def create(self, request: Request, team_pk: str) -> Response:
        team = self.team(Access.MANAGE)
        serializer = TeamMemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_set(
            team=team,
            user=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
            actor=request.user,
        )
        return Response(TeamMemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamMemberRoleSerializer, responses=TeamMemberSerializer)
    def partial_update(self, request: Request, team_pk: str, user: str) -> Response:
        team = self.team(Access.MANAGE)
        membership = get_object_or_404(team.memberships.select_related("user"), user_id=parse_pk(user))
        serializer = TeamMemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_set(
            team=team, user=membership.user, role=serializer.validated_data["role"], actor=request.user
        )
        return Response(TeamMemberSerializer(membership).data)

    def destroy(self, request: Request, team_pk: str, user: str) -> Response:
        team = self.team(Access.MANAGE)
        membership = get_object_or_404(team.memberships.select_related("user"), user_id=parse_pk(user))
        membership_remove(team=team, user=membership.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatChannelViewSet(viewsets.ViewSet):
    """A team's chat channels (SPEC 10.4): the team reads; its lead or an administrator writes. ``secret`` is
    write-only. ``POST …/{cid}/test/`` queues a test message; ``…/{cid}/deliveries/`` lists the deliveries."""

    serializer_class = ChatChannelSerializer

    def team(self, need: Access = Access.READ) -> Team:
        return get_team_for_user(self.request.user, self.kwargs["team_pk"], need=need)

    def channel(self, team: Team) -> ChatChannel:
        return get_object_or_404(team.chat_channels.all(), pk=parse_pk(self.kwargs["pk"]))

    def _save(self, request: Request, team: Team, channel: ChatChannel | None, partial: bool) -> ChatChannel:
        if not can_manage_members(request.user, team):
            raise NotAllowed(_("Only the team's lead or an administrator can change its chat channels."))
        serializer = ChatChannelSerializer(channel, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return chat_channel_save(team=team, actor=request.user, data=dict(serializer.validated_data), channel=channel)

    @extend_schema(responses=ChatChannelSerializer(many=True))
    def list(self, request: Request, team_pk: str) -> Response:
        channels = ChatChannel.objects.filter(team=self.team()).order_by("pk")
        return Response(ChatChannelSerializer(channels, many=True).data)

    @extend_schema(request=ChatChannelSerializer, responses={201: ChatChannelSerializer})
    def create(self, request: Request, team_pk: str) -> Response:
        channel = self._save(request, self.team(), None, partial=False)
        return Response(ChatChannelSerializer(channel).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ChatChannelSerializer)
    def retrieve(self, request: Request, team_pk: str, pk: str) -> Response:
        return Response(ChatChannelSerializer(self.channel(self.team())).data)

    @extend_schema(request=ChatChannelSerializer, responses=ChatChannelSerializer)
    def partial_update(self, request: Request, team_pk: str, pk: str) -> Response:
        team = self.team()
        channel = self._save(request, team, self.channel(team), partial=True)
        return Response(ChatChannelSerializer(channel).data)

    def destroy(self, request: Request, team_pk: str, pk: str) -> Response:
        team = self.team()
        chat_channel_delete(team=team, actor=request.user, channel=self.channel(team))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: ChatDeliverySerializer})
    def test(self, request: Request, team_pk: str, pk: str) -> Response:
        team = self.team()
        delivery = chat_channel_test(team=team, actor=request.user, channel=self.channel(team))
        return Response(ChatDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ChatDeliverySerializer(many=True))
    def deliveries(self, request: Request, team_pk: str, pk: str) -> Response:
        channel = self.channel(self.team())
        paginator = StandardPagination()
        page = paginator.paginate_queryset(channel.deliveries.order_by("-created_at", "-pk"), request, view=self)
        return paginator.get_paginated_response(ChatDeliverySerializer(page, many=True).data)
