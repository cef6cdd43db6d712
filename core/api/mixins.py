"""API plumbing for the access rules: every viewset names its policy and inherits the checks."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework.permissions import SAFE_METHODS

from core.permissions import Access, TeamScopedPolicy


class PolicyViewSetMixin:
    """Lists are filtered by ``policy.visible``; one object is fetched through ``policy.get``.

    Reading needs ``READ``; any other method needs ``write_access`` (``WRITE`` by
    default), so a read-only user gets 403 and an outsider 404.
    """

    policy: TeamScopedPolicy
    write_access: Access = Access.WRITE

    def base_queryset(self) -> QuerySet:
        return self.queryset.all()  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet:
        return self.policy.visible(self.request.user, self.base_queryset())  # type: ignore[attr-defined]

    def needed_access(self) -> Access:
        return Access.READ if self.request.method in SAFE_METHODS else self.write_access  # type: ignore[attr-defined]

    def get_object(self) -> Model:
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]  # type: ignore[attr-defined]
        obj = self.policy.get(self.request.user, self.base_queryset(), lookup, need=self.needed_access())  # type: ignore[attr-defined]
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj


def user_summary(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": str(user)}
