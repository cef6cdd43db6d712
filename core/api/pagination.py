from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """SPEC 9: ``{"count", "next", "previous", "results"}``, ``?page=``, ``?page_size=`` up to 200.

    A ``page`` that is not a page number at all (``-1``, ``0``, ``abc``) is a 400 naming ``page``; a real
    number past the last page stays DRF's 404 "Invalid page."."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        number = raw not in (None, "") and raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) >= 1
        if raw not in (None, "") and raw not in self.last_page_strings and not number:
            raise ValidationError({self.page_query_param: [_("Give a page number from 1 up.")]})
        return super().paginate_queryset(queryset, request, view)
