from __future__ import annotations

from .views import pages, summary, work

app_name = "campaigns"
urlpatterns = [*pages.urlpatterns, *work.urlpatterns, *summary.urlpatterns]
