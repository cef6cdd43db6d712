"""Template tags for the phone lookup and PIPL rights (members.lookup, members.rights): which of them the person
viewing a page may use, so a page offers only what would not be refused."""

from __future__ import annotations

from typing import Any

from django import template

from .. import rights
from ..lookup import can_lookup

register = template.Library()


@register.filter
def can_lookup_phone(user: Any) -> bool:
    """``{% if request.user|can_lookup_phone %}``: whether the user may look members up by phone."""
    return can_lookup(user)


@register.simple_tag
def member_rights(user: Any, member: Any) -> dict[str, bool]:
    """``{% member_rights request.user member as can %}``: ``can.erase``, ``can.withdraw``, ``can.restore``,
    ``can.export`` for this user and member (the page showing the member already checked it may be seen)."""
    admin = rights.is_admin(user)
    erased = getattr(member, "erased_at", None) is not None
    return {
        "erase": admin and not erased,
        "withdraw": bool(member.consent) and rights.can_withdraw_consent(user, member),
        "restore": admin and (erased or not member.consent),
        "export": admin,
    }
