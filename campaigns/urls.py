from __future__ import annotations

from .views import pages, portfolio, work

app_name = "campaigns"
urlpatterns = [*portfolio.urlpatterns, *pages.urlpatterns, *work.urlpatterns]
