"""Optional error reporting to Sentry (or a Sentry-compatible service such as GlitchTip), with personal data kept
out (SPEC 10.5, issue 19).

Called from settings only when ``SENTRY_DSN`` is set. Unhandled errors in views and Celery tasks, and log records
at ERROR, are reported. What leaves the server:

- no request body (``max_request_body_size="never"``), no cookies, no ``Authorization``/``Cookie``/forwarding
  headers, no user details beyond the numeric id, no local variables of stack frames;
- sentry_sdk's :class:`EventScrubber` with its denylist extended (email, phone, names, tokens) blanks values by key
  anywhere in the event;
- :func:`scrub_event` then blanks every email address and phone number left in any string (exception messages,
  log messages and breadcrumbs, query strings, URLs).

Traces are off unless ``SENTRY_TRACES_SAMPLE_RATE`` is above 0; a transaction is scrubbed the same way.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
# Keys whose values are blanked wherever they appear (sentry_sdk's list plus ours; compared lower-case, - as _).
EXTRA_DENYLIST = [
    "email",
    "e_mail",
    "mail",
    "phone",
    "mobile",
    "tel",
    "telephone",
    "username",
    "first_name",
    "last_name",
    "full_name",
    "name_zh",
    "address",
    "id_number",
    "sessionid",
    "csrfmiddlewaretoken",
    "x_csrftoken",
    "authorization",
    "proxy_authorization",
    "cookie",
    "cookies",
    "set_cookie",
    "x_forwarded_for",
    "x_real_ip",
    "remote_addr",
    "ip_address",
    "knox",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
]
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Mainland mobile numbers (optionally +86, with spaces or dashes), landlines with an area code (010-12345678),
# and any number written with a leading "+".
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<![\d-])0\d{2,3}-\d{7,8}(?![\d-])"
    r"|\+\d[\d ()-]{6,}\d"
)
# Request headers that never leave (matched case-insensitively).
_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-csrftoken", "x-forwarded-for"}
_HEADERS |= {"x-real-ip", "forwarded"}
# Top-level parts of an event that are ours to keep as they are (ids, times, versions, the SDK's own data).
_KEEP = {"event_id", "timestamp", "start_timestamp", "release", "environment", "platform", "sdk", "modules", "level"}


def scrub_text(value: str) -> str:
    """``value`` with email addresses and phone numbers replaced by ``[Filtered]``."""
    return _PHONE.sub(FILTERED, _EMAIL.sub(FILTERED, value))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """``before_send`` / ``before_send_transaction``: drop the request's body, cookies and secret headers, keep
    only the user's id, and blank every email address and phone number in the rest of the event."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {name: value for name, value in headers.items() if name.lower() not in _HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for key, value in list(event.items()):
        if key == "contexts" and isinstance(value, dict):  # the trace context holds ids that look like numbers
            event[key] = {name: item if name == "trace" else _scrub(item) for name, item in value.items()}
        elif key not in _KEEP:
            event[key] = _scrub(value)
    return event


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    """Start the Sentry SDK with the Django and Celery integrations and the scrubbing above."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        event_scrubber=EventScrubber(
            denylist=[*DEFAULT_DENYLIST, *EXTRA_DENYLIST], recursive=True, pii_denylist=[*DEFAULT_PII_DENYLIST]
        ),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=lambda crumb, hint: _scrub(crumb),
        traces_sample_rate=traces_sample_rate,
    )
