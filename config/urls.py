from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from campaigns import urls as campaign_urls
from core import metrics as core_metrics
from core import views as core_views
from core.health import healthz
from dashboards import urls as dashboard_urls
from teams import views as team_views

urlpatterns = [
    *dashboard_urls.site_patterns,
    path("healthz", healthz, name="healthz"),
    path("metrics", core_metrics.metrics, name="metrics"),  # Prometheus (SPEC 10.5): allowed addresses only
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("inbox/", core_views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", core_views.notification_read, name="notification_read"),
    path("inbox/read-all/", core_views.notification_read_all, name="notification_read_all"),
    path("inbox/badge/", core_views.unread_badge, name="unread_badge"),
    path("profile/", team_views.profile, name="profile"),
    path("profile/notifications/", core_views.notification_settings_page, name="notification_settings"),
    path("calendar/", core_views.working_calendar_page, name="working_calendar"),
    path("calendar/<str:day>/delete/", core_views.working_calendar_delete, name="working_calendar_delete"),
    path("language/", team_views.set_language, name="set_language"),
    path("teams/", include("teams.urls")),
    # The campaigns namespace holds the campaign pages and the dashboards that read across apps (overview, summary,
    # portfolio), which live in the dashboards app: one namespace, the same paths and names as ever.
    path("campaigns/", include(([*dashboard_urls.campaign_patterns, *campaign_urls.urlpatterns], "campaigns"))),
    path("budgets/", include("budgets.urls")),
    path("risks/", include("risks.urls")),
    path("members/", include("members.urls")),
    path("reviews/", include("reviews.urls")),
    path("accounts/login/", team_views.ConcordLoginView.as_view(), name="login"),
    # OpenID Connect sign-in (SPEC 10.5): the button's redirect and the callback; 404 unless OIDC_ISSUER is set.
    path("oidc/", include("teams.oidc")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
