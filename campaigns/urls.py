from __future__ import annotations

from .views import channels, gantt, kpis, pages, tasks

app_name = "campaigns"
urlpatterns = [*pages.urlpatterns, *tasks.urlpatterns, *gantt.urlpatterns, *kpis.urlpatterns, *channels.urlpatterns]
