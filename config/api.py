"""The one API router (SPEC 9, base path /api/v1/)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from budgets.api.views import BudgetViewSet, ExpenseViewSet
from campaigns.api.views import (
    CampaignViewSet,
    ChannelViewSet,
    KpiViewSet,
    MilestoneViewSet,
    MyTasksView,
    PhaseViewSet,
    PlaybookViewSet,
    TaskViewSet,
)
from core.api.views import CalendarDayViewSet, NotificationSettingsView, NotificationViewSet, TokenView
from dashboards.api import ChannelReturnsView, MyCalendarResetView, MyCalendarView, SearchView
from members.api.rights import (
    MemberDataExportView,
    MemberEraseView,
    MemberLookupView,
    MemberRestoreConsentView,
    MemberWithdrawConsentView,
)
from members.api.views import ImportErrorsView, ImportJobViewSet, ImportReportView, MemberViewSet, TierViewSet
from reviews.api.views import MeetingViewSet, ReviewSeriesViewSet
from risks.api.views import RiskViewSet
from teams.api.views import ChatChannelViewSet, DepartmentViewSet, MeView, TeamMemberViewSet, TeamViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("teams", TeamViewSet, basename="team")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("playbooks", PlaybookViewSet, basename="playbook")
router.register("phases", PhaseViewSet, basename="phase")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("tasks", TaskViewSet, basename="task")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("channels", ChannelViewSet, basename="channel")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("expenses", ExpenseViewSet, basename="expense")
router.register("risks", RiskViewSet, basename="risk")
router.register("review-series", ReviewSeriesViewSet, basename="review-series")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("tiers", TierViewSet, basename="tier")
# Before "members", so that "members/imports/…" is never read as a member's id.
router.register("members/imports", ImportJobViewSet, basename="member-import")
router.register("members", MemberViewSet, basename="member")

team_members = TeamMemberViewSet.as_view({"get": "list", "post": "create"})
team_member = TeamMemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})
chat_channels = ChatChannelViewSet.as_view({"get": "list", "post": "create"})
chat_channel = ChatChannelViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
chat_channel_test = ChatChannelViewSet.as_view({"post": "test"})
chat_deliveries = ChatChannelViewSet.as_view({"get": "deliveries"})

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/notification-settings/", NotificationSettingsView.as_view(), name="api-notification-settings"),
    path("me/tasks/", MyTasksView.as_view(), name="api-my-tasks"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("me/calendar/", MyCalendarView.as_view(), name="api-my-calendar"),
    path("me/calendar/reset/", MyCalendarResetView.as_view(), name="api-my-calendar-reset"),
    path("members/imports/<int:pk>/errors.csv", ImportErrorsView.as_view(), name="member-import-errors"),
    path("members/imports/<int:pk>/report/", ImportReportView.as_view(), name="member-import-report"),
    path("campaigns/<int:pk>/channel-returns/", ChannelReturnsView.as_view(), name="campaign-channel-returns"),
    # SPEC 10.6: the phone lookup and a person's PIPL rights (members.lookup, members.rights).
    path("members/lookup/", MemberLookupView.as_view(), name="member-lookup"),
    path("members/<int:pk>/erase/", MemberEraseView.as_view(), name="member-erase"),
    path("members/<int:pk>/withdraw-consent/", MemberWithdrawConsentView.as_view(), name="member-withdraw-consent"),
    path("members/<int:pk>/restore-consent/", MemberRestoreConsentView.as_view(), name="member-restore-consent"),
    path("members/<int:pk>/export/", MemberDataExportView.as_view(), name="member-data-export"),
    path("teams/<str:team_pk>/members/", team_members, name="team-members"),
    path("teams/<str:team_pk>/members/<str:user>/", team_member, name="team-member"),
    path("teams/<str:team_pk>/chat-channels/", chat_channels, name="team-chat-channels"),
    path("teams/<str:team_pk>/chat-channels/<str:pk>/", chat_channel, name="team-chat-channel"),
    path("teams/<str:team_pk>/chat-channels/<str:pk>/test/", chat_channel_test, name="team-chat-channel-test"),
    path("teams/<str:team_pk>/chat-channels/<str:pk>/deliveries/", chat_deliveries, name="team-chat-deliveries"),
    *router.urls,
]
