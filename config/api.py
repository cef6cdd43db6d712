"""The one API router (SPEC 9, base path /api/v1/)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from core.api.views import NotificationViewSet, TokenView
from teams.api.views import DepartmentViewSet, MeView, TeamMemberViewSet, TeamViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("teams", TeamViewSet, basename="team")
router.register("notifications", NotificationViewSet, basename="notification")

team_members = TeamMemberViewSet.as_view({"get": "list", "post": "create"})
team_member = TeamMemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("teams/<str:team_pk>/members/", team_members, name="team-members"),
    path("teams/<str:team_pk>/members/<str:user>/", team_member, name="team-member"),
    *router.urls,
]
