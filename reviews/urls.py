from __future__ import annotations

from .views import app_name, urlpatterns  # noqa: F401
