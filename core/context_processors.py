from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest

from core.navigation import nav_items
from core.permissions import principal_for
from core.selectors import notification_unread_count


def _once(compute: Callable[[], int]) -> Callable[[], int]:
    """A value the template asks for only when it renders it (the template engine calls a callable), and once."""
    result: list[int] = []

    def value() -> int:
        if not result:
            result.append(compute())
        return result[0]

    return value


def layout(request: HttpRequest) -> dict[str, object]:
    """What the base layout needs on every page: navigation and the unread badge (one query, made when the page
    shows the badge and the view did not count the unread notifications itself)."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_items": nav_items(request.path, principal_for(user).roles) if authenticated else [],
        "unread_count": _once(lambda: notification_unread_count(user=user)) if authenticated else 0,
        "demo_mode": settings.DEMO_MODE,
    }
