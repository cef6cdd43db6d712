"""Writes on the membership programme (SPEC 6): an upload becomes an import job (the import itself runs in
members.imports, in Celery), and a new version of the tier rules. Each checks who may write inside the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotAllowed
from core.permissions import principal_for
from core.services.audit import audit_record

from .imports import (
    CHUNK_BYTES,
    enqueue_import,
    import_file_check,
    max_upload_bytes,
    too_large_message,
    upload_campaign_id,
)
from .models import ImportChunk, ImportJob, Tier, TierCode, TierRuleSet
from .permissions import can_import
from .tiers import recompute_member_tiers


def import_job_create(
    *,
    actor: Any,
    upload: Any,
    campaign: Any = None,
    filename: str | None = None,
    enqueue: bool = True,
    dry_run: bool = False,
) -> ImportJob:
    """Store an uploaded file in the database and queue its import (unless the caller runs it itself).
    Lead/deputy of any team, or admin. ``campaign`` (a Campaign or its id) is the campaign the upload is for:
    one whose team the actor leads or deputises; only an admin may leave it out (SPEC 10.1). ``dry_run``: the
    job validates and counts what it would create and update, and writes no member (SPEC 10.6)."""
    if not can_import(actor):
        raise NotAllowed(_("Only a team lead or deputy can import members."))
    name, extension = import_file_check(upload, filename=filename)
    campaign_id = upload_campaign_id(actor, campaign)
    with transaction.atomic():
        job = ImportJob.objects.create(
            uploaded_by=actor, campaign_id=campaign_id, filename=name[:255], file_format=extension, dry_run=dry_run
        )
        total, seq, buffer = 0, 0, bytearray()
        pieces = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK_BYTES), b"")
        for piece in pieces:
            buffer += piece
            total += len(piece)
            if total > max_upload_bytes():
                raise ApplicationError(errors={"file": too_large_message()})
            while len(buffer) >= CHUNK_BYTES:
                ImportChunk.objects.create(job=job, seq=seq, data=bytes(buffer[:CHUNK_BYTES]))
                del buffer[:CHUNK_BYTES]
                seq += 1
        if buffer:
            ImportChunk.objects.create(job=job, seq=seq, data=bytes(buffer))
        if total == 0:
            raise ApplicationError(errors={"file": _("The file is empty.")})
        job.size = total
        job.save(update_fields=["size"])
        if enqueue:
            transaction.on_commit(lambda: enqueue_import(job.pk))
    return job


@transaction.atomic
def tier_rule_set_create(
    *, actor: Any, effective_from: dt.date, thresholds: dict[str, Any], names: dict[str, str] | None = None,
    note: str = "", recompute: bool = True,
) -> TierRuleSet:  # fmt: skip
    """A new version of the thresholds; basic stays at 0 and the tiers must rise with rank. If it is already
    in effect, every member is recomputed now (cause: rule change); a future one is applied by the daily job.
    Administrators only (``actor`` None is the system creating the default rules)."""
    if actor is not None and not principal_for(actor).is_admin:
        raise NotAllowed(_("Only an administrator can change the tier rules."))
    fees: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for code in TierCode.values:
        try:
            fees[code] = Decimal(str(thresholds[code])).quantize(Decimal("0.01"))
        except Exception:
            errors[code] = _("Give the minimum annual fee in CNY.")
    if not errors:
        if fees[TierCode.BASIC] != 0:
            errors[TierCode.BASIC] = _("The basic tier starts at 0.")
        if not fees[TierCode.BASIC] < fees[TierCode.MID_HIGH] < fees[TierCode.TOP]:
            errors[TierCode.TOP] = _("Thresholds must rise: basic < mid-high < top.")
    if errors:
        raise ApplicationError(errors=errors)
    previous = TierRuleSet.objects.order_by("-effective_from", "-id").prefetch_related("tiers").first()
    old_names = {t.code: (t.name, t.benefits) for t in previous.tiers.all()} if previous else {}
    rule_set = TierRuleSet.objects.create(effective_from=effective_from, note=note, created_by=actor)
    Tier.objects.bulk_create(
        Tier(rule_set=rule_set, code=code, rank=rank, min_annual_fee=fees[code],
             name=(names or {}).get(code) or old_names.get(code, (TierCode(code).label, ""))[0],
             benefits=old_names.get(code, ("", ""))[1])
        for rank, code in enumerate(TierCode.values, start=1)
    )  # fmt: skip
    if actor is not None:
        audit_record(actor=actor, action="members.tier_rules_changed", obj=rule_set,
                     after={"effective_from": effective_from, "thresholds": fees})  # fmt: skip
    if recompute and effective_from <= timezone.localdate():
        recompute_member_tiers(rule_set=rule_set, actor=actor)
    return rule_set
