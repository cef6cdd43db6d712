"""Per-request middleware: the user's language and time zone, and the strict Content-Security-Policy header."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Use the language and time zone stored on a logged-in user's profile (they follow the user across devices)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if authenticated and user.language in self.supported:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        if authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` (a dict of directive → sources) on every response.

    Django 5.2 has no CSP of its own. A view widens it for its own page with :func:`core.security.csp_update`
    (the response's ``csp_update``: directive → sources added). ``CSP_REPORT_ONLY`` sends the policy as
    ``Content-Security-Policy-Report-Only``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = dict(getattr(settings, "CONTENT_SECURITY_POLICY", None) or {})
        self.value = render_policy(self.policy)
        report_only = getattr(settings, "CSP_REPORT_ONLY", False)
        self.header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self.value or self.header in response.headers:
            return response
        update = getattr(response, "csp_update", None)
        if update:
            policy = {directive: list(sources) for directive, sources in self.policy.items()}
            for directive, sources in update.items():
                policy[directive] = [*policy.get(directive, []), *sources]
            response.headers[self.header] = render_policy(policy)
        else:
            response.headers[self.header] = self.value
        return response


def render_policy(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{directive} {' '.join(sources)}".strip() for directive, sources in policy.items())
