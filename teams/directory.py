"""Company directory accounts (SPEC 10.5): what LDAP and OpenID Connect sign-in share.

A directory user is created on first sign-in with ``User.directory`` set to its source and the department read
from a directory attribute or claim; the directory stays the source of truth, so an account disabled there is
deactivated here (``deactivate``), which also revokes its API tokens (teams.signals) and ends its sessions.
"""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import Department, Directory, User

__all__ = ["Directory", "deactivate", "department_for", "end_sessions"]


def department_for(value: object) -> Department | None:
    """The department a directory attribute names: by code, then by Chinese or English name (case-insensitive).
    Unknown or empty values give None (the user is created without one; an admin can set it)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value or "").strip()
    if not text:
        return None
    return (
        Department.objects.filter(code__iexact=text).first()
        or Department.objects.filter(name=text).first()
        or Department.objects.filter(name_en__iexact=text).first()
    )


def end_sessions(user: User) -> int:
    """Delete the user's database sessions (a deactivated account is signed out everywhere at once). Sessions are
    scanned in the database backend only; cache-only session engines are not used here."""
    ended = 0
    key = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        if session.get_decoded().get("_auth_user_id") == key:
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def deactivate(user: User) -> bool:
    """Mark a directory account inactive here: no sign-in, API tokens revoked (teams.signals), sessions ended.
    Returns False when it already was."""
    if not user.is_active:
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user)
    return True
