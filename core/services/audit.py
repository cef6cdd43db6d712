"""The hash-chained audit ledger (SPEC 8).

Each entry's hash covers its own fields and the previous entry's hash, so
changing, removing or reordering any entry breaks every hash after it;
:func:`audit_verify` finds the first entry where that happens.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from core.models import AuditChainHead, AuditEntry


def _normalise(value: Any) -> Any:
    """JSON as the database will give it back (Decimals, dates and UUIDs become strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _entry_hash(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _scope(obj: models.Model | None) -> str:
    """Where an entry about ``obj`` is listed: the object's own ``audit_scope`` (a campaign names itself), else
    the campaign it belongs to (any row with a ``campaign_id``), else nowhere in particular."""
    if obj is None:
        return ""
    scope = getattr(obj, "audit_scope", "")
    if scope:
        return str(scope)
    campaign_id = getattr(obj, "campaign_id", None)
    return f"campaign:{campaign_id}" if campaign_id else ""


def _describe(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


@transaction.atomic
def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one entry to the ledger. Runs inside the caller's transaction, so it commits or rolls back with it."""
    if obj is not None:
        object_type, object_id = _describe(obj)
    # The head row exists after the first append; creating it cannot race (conflicts are ignored).
    AuditChainHead.objects.bulk_create([AuditChainHead(id=1)], ignore_conflicts=True)
    # Lock the head row: concurrent writers queue here, so sequence and chain stay linear.
    head = AuditChainHead.objects.select_for_update().get(id=1)
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    actor_username = actor.get_username() if actor_id else ""
    created_at = timezone.now()
    seq = head.last_seq + 1
    before, after = _normalise(before), _normalise(after)
    digest = _entry_hash(
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        actor_username=actor_username,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        prev_hash=head.last_hash,
    )
    entry = AuditEntry.objects.create(
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        actor_username=actor_username,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        prev_hash=head.last_hash,
        hash=digest,
        scope=_scope(obj),
    )
    head.last_seq, head.last_hash = seq, digest
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def audit_verify(*, chunk_size: int = 2000) -> AuditVerification:
    """Recompute the whole chain in order, streaming in chunks; report the first entry that does not hold."""
    prev_hash = ""
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            return AuditVerification(checked, entry.seq, f"expected sequence {expected_seq}, found {entry.seq}")
        if entry.prev_hash != prev_hash:
            return AuditVerification(checked, entry.seq, "its link to the previous entry does not match")
        digest = _entry_hash(
            seq=entry.seq,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            actor_username=entry.actor_username,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
        )
        if digest != entry.hash:
            return AuditVerification(checked, entry.seq, "its content does not match its hash")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.last_seq != checked:
        return AuditVerification(
            checked, checked + 1, f"the ledger should end at {head.last_seq} but ends at {checked}"
        )
    return AuditVerification(checked)
