from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.models import Notification


def notification_list(*, user: Any, unread_only: bool = False, pending_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first; ``pending_only`` leaves out resolved ones (SPEC 10.4)."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if pending_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


def notification_unread_count(*, user: Any) -> int:
    """How many unread notifications the user has (one COUNT)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
