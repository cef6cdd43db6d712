from __future__ import annotations

from .views import channels, discussion, gantt, kpis, pages, tasks

app_name = "campaigns"
urlpatterns = [
    *pages.urlpatterns,
    *tasks.urlpatterns,
    *discussion.urlpatterns,
    *gantt.urlpatterns,
    *kpis.urlpatterns,
    *channels.urlpatterns,
]
