"""A person's PIPL rights over their member record (SPEC 10.6): a copy of everything held, erasure, and consent
withdrawn or restored. Every one of them is written to the audit ledger — without the personal data itself.

Who may (each checks inside the service; a member the user may not see at all is 404 first):

=========================  ==========================================================================
export (``member_data``)   an admin: the data unmasked, since it is the person's own
erase                      an admin
withdraw consent           the lead or deputy of the team whose campaign brought the member in, or an admin
restore consent            an admin: the person gave consent again (after an erasure too)
=========================  ==========================================================================

Erasure replaces the name, the phone number and the tags, withdraws consent and sets ``erased_at``; the external
id, tier, fee, dates, tier history, points and redemptions stay, so counts, tiers and analytics do not change.
An erased member is left out of every later import of its external id (members.imports asks
:func:`erased_external_ids`, the row becomes an error "erased at the person's request") until an admin restores
consent, which clears ``erased_at``; the next import then fills the record in again.

Withdrawn consent leaves the member out of the targeting exports (the unmasked member export and the
near-threshold segment, members.exports.consenting), and it stays withdrawn (``consent_withdrawn_at``): an import
whose file still says "yes" updates the rest of the record but not the consent, until an admin restores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.selectors import campaign_today
from core.errors import Conflict
from core.models import AuditEntry
from core.permissions import Access, parse_pk, principal_for
from core.services.audit import audit_record

from .models import Member, TierChange
from .permissions import member_list_for

# What an erased member's name becomes: says what happened, in both of the site's languages, and masks to "已*…".
ERASED_NAME = "已刪除 / erased"
ERASED_FIELDS = ("name", "phone", "tags", "consent", "consent_at")
CONSENT_ACTIONS = ("members.consent_withdrawn", "members.consent_restored", "members.erased")
AUDIT_ENTRIES_EXPORTED = 1000


# --- Who may ---------------------------------------------------------------------------------------------------


def member_for(user: Any, pk: Any) -> Member:
    """The member with this id if ``user`` may see it at all; 404 otherwise (its existence is not revealed)."""
    members = member_list_for(user).select_related("source_campaign", "source_channel", "points_balance")
    member = members.filter(pk=parse_pk(pk)).first()
    if member is None:
        raise Http404(_("Not found."))
    return member


def is_admin(user: Any) -> bool:
    return principal_for(user).is_admin


def can_withdraw_consent(user: Any, member: Member) -> bool:
    """An admin, or the lead or deputy of the team whose campaign brought the member in."""
    principal = principal_for(user)
    if principal.is_admin:
        return True
    campaign = member.source_campaign
    return campaign is not None and principal.team_access(campaign.team_id) >= Access.MANAGE


def _require_admin(actor: Any, message: str) -> None:
    if not is_admin(actor):
        raise PermissionDenied(message)


# --- Erase and consent -----------------------------------------------------------------------------------------


def _locked(member: Member) -> Member:
    """The member's row, locked until the transaction ends (an import's batch or a second click waits)."""
    return Member.objects.select_for_update(of=("self",)).select_related("source_campaign").get(pk=member.pk)


def _today(member: Member):
    return campaign_today(member.source_campaign) if member.source_campaign_id else timezone.localdate()


@transaction.atomic
def member_erase(*, actor: Any, member: Member) -> Member:
    """Erase the person's name, phone number and tags and withdraw their consent (admin only); 409 if already
    erased. The ledger entry names the member by id and external id, never by the erased values."""
    _require_admin(actor, _("Only an administrator erases a member's personal data."))
    member = _locked(member)
    if member.erased_at is not None:
        raise Conflict(_("This member's personal data was already erased."))
    had = {"consent": member.consent, "tags": len(member.tags or []), "phone": bool(member.phone)}
    member.name, member.phone, member.tags = ERASED_NAME, "", []
    member.consent, member.consent_at = False, None
    member.erased_at = timezone.now()
    member.consent_withdrawn_at = member.consent_withdrawn_at or member.erased_at
    member.save(update_fields=[*ERASED_FIELDS, "erased_at", "consent_withdrawn_at", "updated_at"])
    audit_record(
        actor=actor,
        action="members.erased",
        obj=member,
        before={"consent": had["consent"], "had_phone": had["phone"], "tags": had["tags"]},
        after={"external_id": member.external_id, "erased_fields": list(ERASED_FIELDS), "consent": False},
    )
    return member


@transaction.atomic
def member_withdraw_consent(*, actor: Any, member: Member) -> Member:
    """The person withdrew their consent: the member leaves the targeting exports. Team lead, deputy or admin;
    409 if there is no consent to withdraw."""
    if not can_withdraw_consent(actor, member):
        raise PermissionDenied(_("Only the team's lead or deputy, or an administrator, records a withdrawal."))
    member = _locked(member)
    if not member.consent:
        raise Conflict(_("This member has not given consent, so there is none to withdraw."))
    before = {"consent": True, "consent_at": member.consent_at}
    member.consent, member.consent_at, member.consent_withdrawn_at = False, None, timezone.now()
    member.save(update_fields=["consent", "consent_at", "consent_withdrawn_at", "updated_at"])
    audit_record(actor=actor, action="members.consent_withdrawn", obj=member, before=before, after={"consent": False})
    return member


@transaction.atomic
def member_restore_consent(*, actor: Any, member: Member) -> Member:
    """The person gave consent again (admin only): consent from today (the campaign's date), imports may set it
    again, and an erased member is no longer left out of them — the next import of its external id fills the
    record in again."""
    _require_admin(actor, _("Only an administrator restores a member's consent."))
    member = _locked(member)
    if member.consent and member.erased_at is None:
        raise Conflict(_("This member has consent already."))
    before = {"consent": member.consent, "erased_at": member.erased_at}
    member.consent, member.consent_at, member.erased_at, member.consent_withdrawn_at = True, _today(member), None, None
    member.save(update_fields=["consent", "consent_at", "erased_at", "consent_withdrawn_at", "updated_at"])
    audit_record(
        actor=actor,
        action="members.consent_restored",
        obj=member,
        before=before,
        after={"consent": True, "consent_at": member.consent_at, "erased_at": None},
    )
    return member


def erased_external_ids(external_ids: Iterable[str]) -> set[str]:
    """Which of these external ids belong to erased members (one query; for the import's batches)."""
    ids = list(set(external_ids))
    if not ids:
        return set()
    return set(
        Member.objects.filter(external_id__any=ids, erased_at__isnull=False).values_list("external_id", flat=True)
    )


# --- Everything held about one member --------------------------------------------------------------------------


def _points_entries(member: Member) -> list[dict[str, Any]] | None:
    """The points ledger, when the points model exists (SPEC 10.6 points); None where it does not."""
    try:
        model = apps.get_model("members", "PointsEntry")
    except LookupError:
        return None
    wanted = ("delta", "reason", "note", "created_at", "expires_at")
    names = [f for f in wanted if any(field.name == f for field in model._meta.get_fields())]
    return list(model.objects.filter(member=member).order_by("created_at", "pk").values(*names))


def member_data(member: Member) -> dict[str, Any]:
    """Everything held about the member, unmasked: the record, its tier history, points ledger, benefit
    redemptions, and the ledger entries about it (consent history among them)."""
    campaign, channel = member.source_campaign, member.source_channel
    record = {
        "id": member.pk,
        "external_id": member.external_id,
        "name": member.name,
        "phone": member.phone,
        "age_band": member.age_band,
        "tags": member.tags,
        "annual_fee": member.annual_fee,
        "tier": member.tier,
        "points": getattr(member, "points", None),
        "consent": member.consent,
        "consent_at": member.consent_at,
        "joined_at": member.joined_at,
        "source_campaign": {"id": campaign.pk, "code": campaign.code, "name": campaign.name} if campaign else None,
        "source_channel": {"id": channel.pk, "name": channel.name} if channel else None,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "erased_at": member.erased_at,
    }
    if record["points"] is None:
        del record["points"]
    tier_history = [
        {"from": change.from_tier, "to": change.to_tier, "at": change.changed_at, "cause": change.cause}
        for change in TierChange.objects.filter(member=member).order_by("changed_at", "pk")
    ]
    redemptions = [
        {"benefit": name, "partner_brand": brand, "redeemed_at": at}
        for name, brand, at in member.redemptions.order_by("redeemed_at", "pk").values_list(
            "benefit__name", "benefit__partner_brand", "redeemed_at"
        )
    ]
    entries = list(
        AuditEntry.objects.filter(object_type=Member._meta.label_lower, object_id=str(member.pk))
        .order_by("seq")
        .values("seq", "created_at", "action", "actor_username", "after")[:AUDIT_ENTRIES_EXPORTED]
    )
    data: dict[str, Any] = {
        "member": record,
        "tier_history": tier_history,
        "redemptions": redemptions,
        "consent_history": [
            {
                "at": e["created_at"],
                "action": e["action"],
                "by": e["actor_username"],
                "consent": (e["after"] or {}).get("consent"),
            }
            for e in entries
            if e["action"] in CONSENT_ACTIONS
        ],
        "audit": [
            {"seq": e["seq"], "at": e["created_at"], "action": e["action"], "by": e["actor_username"]} for e in entries
        ],
    }
    points = _points_entries(member)
    if points is not None:
        data["points"] = points
    return data


def member_data_export(*, actor: Any, member: Member) -> dict[str, Any]:
    """:func:`member_data` for an admin (403 for anyone else), written to the ledger before it is returned."""
    _require_admin(actor, _("Only an administrator exports everything held about a member."))
    with transaction.atomic():
        audit_record(actor=actor, action="members.data_exported", obj=member, after={"external_id": member.external_id})
    return member_data(member)
