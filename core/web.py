"""Helpers shared by the HTML views of every app: a service's errors onto a form, a safe "next" target."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ApplicationError


def apply_service_errors(form: Any, exc: ApplicationError, *, request: HttpRequest | None = None) -> None:
    """Show a service's field errors next to the form's fields. The others go above the form, or, given
    ``request``, into flash messages (for pages that redirect or render the form elsewhere)."""
    general: list[str] = []
    for field, errors in exc.errors.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            general.extend(str(error) for error in errors)
    if not exc.errors:
        general.append(str(exc.message))
    for text in general:
        if request is not None:
            messages.error(request, text)
        else:
            form.add_error(None, text)


def safe_next(request: HttpRequest, fallback: str, *, target: str | None = None) -> str:
    """Where to go back to: ``target`` (default: the posted ``next`` or the Referer) when it stays on this site,
    else ``fallback`` — never an address on another host."""
    if target is None:
        target = request.POST.get("next") or request.headers.get("referer") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
