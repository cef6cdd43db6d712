from __future__ import annotations

from .privacy_views import urlpatterns as privacy_urlpatterns
from .views import app_name
from .views import urlpatterns as page_urlpatterns

# SPEC 10.6: the phone lookup and a person's PIPL rights have their own module (members.privacy_views).
urlpatterns = [*page_urlpatterns, *privacy_urlpatterns]

__all__ = ["app_name", "urlpatterns"]
