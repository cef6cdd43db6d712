from __future__ import annotations

from .views import pages, work

app_name = "campaigns"
urlpatterns = [*pages.urlpatterns, *work.urlpatterns]
