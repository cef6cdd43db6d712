"""Small security helpers used by settings (django-axes' client address)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext


def client_ip(request: HttpRequest) -> str:
    """The client's address for login throttling.

    Behind the TLS proxy (``BEHIND_TLS_PROXY=1``) every request comes from the proxy, so the address is the
    last entry of ``X-Forwarded-For`` — the one our proxy appended, which a client cannot forge (entries
    before it can be). Otherwise ``REMOTE_ADDR``.
    """
    meta = getattr(request, "META", {})
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return meta.get("REMOTE_ADDR", "") or ""


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60))


def lockout_message() -> str:
    """What a locked-out user is told, on the login page and by the API (in the request's language)."""
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed login attempts. This account is locked for %(minutes)d minute on this device; "
        "try again later or ask an administrator to unlock it.",
        "Too many failed login attempts. This account is locked for %(minutes)d minutes on this device; "
        "try again later or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def is_locked_out(request: HttpRequest, username: str) -> bool:
    """Whether django-axes refuses this username from this client now."""
    if not settings.AXES_ENABLED:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, {"username": username})


def csp_update(**directives: list[str]) -> Callable:
    """Widen the Content-Security-Policy for one view's responses: ``@csp_update(style_src_attr=["'unsafe-inline'"])``
    adds the sources to the directive (underscores become dashes). Keep such exceptions rare and explained."""
    update = {name.replace("_", "-"): list(sources) for name, sources in directives.items()}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            response = view(*args, **kwargs)
            response.csp_update = update
            return response

        return wrapped

    return decorator
