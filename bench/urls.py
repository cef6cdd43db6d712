"""The real URLs plus one trivial view, the ceiling bench/load.py compares Concord's pages with (bench only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as concord_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *concord_urlpatterns]
