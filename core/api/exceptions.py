"""Turn every error into SPEC 9's bodies: ``{"field": ["message"]}`` or ``{"detail": "..."}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


def bad_request_message(exc: Exception | None) -> str:
    if isinstance(exc, RequestDataTooBig):
        return _("The request body is larger than %(size)s bytes.") % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    return _("The request could not be understood.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SuspiciousOperation):
        # Raised by Django when the view first reads the body (RequestDataTooBig, too many fields): a 400 in
        # the API's JSON shape instead of Django's HTML page.
        return Response({"detail": bad_request_message(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        return Response(exc.as_body(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data = {"detail": str(getattr(exc, "detail", "Authentication credentials were not provided."))}
    return response
