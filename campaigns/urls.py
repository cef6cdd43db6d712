from __future__ import annotations

from .views import activity, channels, discussion, gantt, kpis, pages, tasks

app_name = "campaigns"
urlpatterns = [
    *pages.urlpatterns,
    *tasks.urlpatterns,
    *discussion.urlpatterns,
    *activity.urlpatterns,
    *gantt.urlpatterns,
    *kpis.urlpatterns,
    *channels.urlpatterns,
]
