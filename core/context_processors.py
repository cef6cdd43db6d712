from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from core.navigation import nav_items
from core.permissions import principal_for
from core.selectors import notification_unread_count


def layout(request: HttpRequest) -> dict[str, object]:
    """What the base layout needs on every page: navigation and the unread badge (one query)."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_items": nav_items(request.path, principal_for(user).roles) if authenticated else [],
        "unread_count": notification_unread_count(user=user) if authenticated else 0,
        "demo_mode": settings.DEMO_MODE,
    }
