"""Phone lookup for customer service (SPEC 10.6): an exact, complete phone number finds the member it belongs to.

Rules, the same for the API (``GET members/lookup/?phone=``) and the page (``/members/lookup/``):

* Who: an admin, or a lead, deputy or member of a team (a viewer or an org-wide reader is refused: the lookup
  confirms that a number is a customer's, more than the masked list shows). Only members the person may see
  anyway (:func:`members.permissions.member_list_for`) are found; any other number is "none" (404).
* What: the number is normalised as the import normalises phones (:func:`core.validators.clean_phone`: full-width
  digits, spaces, dashes and brackets) and must be complete — an 11-digit mobile, a landline with its area code,
  or ``+`` with a country code. A part of a number (a prefix, the last 4 digits) is refused (400), never matched.
  A mobile or landline matches however it was stored: ``13812345678``, ``+8613812345678`` or ``008613812345678``
  — equality on the indexed ``phone`` column, never a LIKE.
* Audited: every lookup is a ledger entry (who, when, the member found or ``none``) that holds the number only
  masked (``138****5678``) and as a keyed hash, so the ledger does not become a list of customers' numbers.
* Rate-limited per user: ``MEMBER_LOOKUP_RATE`` (default 30/minute), counted for the API and the page together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from rest_framework.throttling import UserRateThrottle

from core.errors import ApplicationError
from core.permissions import principal_for
from core.roles import TeamRole
from core.services.audit import audit_record
from core.validators import clean_phone

from .models import Member
from .permissions import member_list_for
from .privacy import mask_phone

# Members shown when several share one number (a family's shared line): enough to tell them apart.
MAX_MATCHES = 10
LOOKUP_ROLES = frozenset({TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER})
MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
LANDLINE = re.compile(r"0[1-9][0-9]{8,10}", re.ASCII)
ABROAD = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)
CHINA_PREFIXES = ("+86", "0086")


class MemberLookupThrottle(UserRateThrottle):
    """Per signed-in user, ``MEMBER_LOOKUP_RATE`` lookups (API and page together); 429 past it."""

    scope = "member_lookup"

    def get_rate(self) -> str:
        # Read per request (not once at import), so a deployment's setting and a test's override both apply.
        return getattr(settings, "MEMBER_LOOKUP_RATE", "30/minute")


def can_lookup(user: Any) -> bool:
    """An admin, or a lead, deputy or member of any team (no query beyond the cached principal)."""
    principal = principal_for(user)
    if principal.user_id is None:
        return False
    return principal.is_admin or any(role in LOOKUP_ROLES for role in principal.team_roles.values())


def incomplete_message() -> str:
    return _(
        "Enter the complete phone number: 11 digits for a mobile (e.g. 13812345678), the area code and number "
        "for a landline, or + and the country code for a number abroad. Part of a number is never looked up."
    )


def phone_forms(raw: str) -> list[str]:
    """The stored forms an exact, complete number may have, or an ApplicationError on ``phone`` (400) for a
    missing, malformed or partial one. ``138 1234-5678`` → ``13812345678``, ``+8613812345678``, …"""
    if not (raw or "").strip():
        raise ApplicationError(errors={"phone": _("Enter the phone number to look up.")})
    try:
        phone = clean_phone(raw[:40])
    except ValidationError:
        raise ApplicationError(errors={"phone": incomplete_message()}) from None
    national = phone
    for prefix in CHINA_PREFIXES:
        if phone.startswith(prefix):
            national = phone[len(prefix) :]
            break
    else:
        if len(phone) == 13 and phone.startswith("861"):  # 86 and a mobile, the + left out
            national = phone[2:]
    if MOBILE.fullmatch(national):
        return [national, f"+86{national}", f"0086{national}", f"86{national}"]
    if LANDLINE.fullmatch(national):
        return [national, f"+86{national[1:]}", f"0086{national[1:]}"]
    if national == phone and ABROAD.fullmatch(phone):
        return [phone, f"00{phone[1:]}"]
    raise ApplicationError(errors={"phone": incomplete_message()})


def phone_fingerprint(phone: str) -> str:
    """A keyed hash of the number (HMAC-SHA256 under the site's secret): two lookups of one number can be matched
    up in the ledger by whoever holds the key, but the ledger alone does not give the number back."""
    return salted_hmac("members.lookup.phone", phone, algorithm="sha256").hexdigest()[:32]


@dataclass
class LookupResult:
    """What a lookup found among the members the user may see: none, one, or (a shared number) several."""

    phone: str
    members: list[Member] = field(default_factory=list)

    @property
    def member(self) -> Member | None:
        return self.members[0] if len(self.members) == 1 else None


def _matches(user: Any, forms: list[str]) -> QuerySet[Member]:
    # Equality on the partial index member_phone (phone <> ''): an erased member has no phone and is never found.
    return (
        member_list_for(user)
        .filter(phone__in=forms)
        .exclude(phone="")
        .select_related("source_campaign", "source_channel", "points_balance")
        .order_by("pk")
    )


def member_lookup(*, actor: Any, phone: str, via: str = "api") -> LookupResult:
    """Find the member(s) with exactly this number among those ``actor`` may see, and write the lookup to the
    audit ledger. Raises ApplicationError (400) for a partial or malformed number; the caller checks
    :func:`can_lookup` and the rate first."""
    forms = phone_forms(phone)
    found = list(_matches(actor, forms)[: MAX_MATCHES + 1])
    result = LookupResult(phone=forms[0], members=found[:MAX_MATCHES])
    outcome = "none" if not found else ("found" if len(found) == 1 else "several")
    audit_record(
        actor=actor,
        action="members.looked_up",
        obj=result.member,
        object_type="" if result.member else Member._meta.label_lower,
        after={
            "phone": mask_phone(forms[0]),
            "phone_hmac": phone_fingerprint(forms[0]),
            "result": outcome,
            "members": [m.external_id for m in result.members],
            "via": via,
        },
    )
    return result
