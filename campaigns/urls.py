from __future__ import annotations

from .views import pages, portfolio, summary, work

app_name = "campaigns"
urlpatterns = [*portfolio.urlpatterns, *pages.urlpatterns, *work.urlpatterns, *summary.urlpatterns]
