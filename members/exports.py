"""Member exports (SPEC 6): the filtered member list as CSV or XLSX, the near-threshold segment's external ids,
and an import's full error report.

Names and phones are masked in every export unless the caller passes ``pii=True``, which the views allow only
to holders of ``members.view_pii``; each such export is written to the audit ledger
(:func:`pii_export_record`) before the first row leaves the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from core.exports import Sheet, money
from core.services.audit import audit_record

from .models import ImportJob, ImportRowError, Member
from .privacy import mask_name, mask_phone

# The import's column names first, so an unmasked export can be imported again as it is.
COLUMNS = (
    "external_id",
    "name",
    "phone",
    "annual_fee",
    "age_band",
    "consent",
    "source_campaign",
    "source_channel",
    "tier",
    "joined_at",
    "consent_at",
)
ROWS_PER_FETCH = 2000


def member_rows(members: QuerySet[Member], *, pii: bool) -> Iterator[list[Any]]:
    """One list per member in :data:`COLUMNS` order, streamed from the database in chunks."""
    rows = members.values_list(
        "external_id",
        "name",
        "phone",
        "annual_fee",
        "age_band",
        "consent",
        "source_campaign__code",
        "source_channel__name",
        "tier",
        "joined_at",
        "consent_at",
    )
    for ext, name, phone, fee, band, consent, campaign, channel, tier, joined, consent_at in rows.iterator(
        chunk_size=ROWS_PER_FETCH
    ):
        if not pii:
            name, phone = mask_name(name), mask_phone(phone)
        yield [ext, name, phone, money(fee), band, "yes" if consent else "no", campaign or "", channel or "", tier,
               joined, consent_at]  # fmt: skip


def members_sheet(members: QuerySet[Member], *, pii: bool, title: str = "Members") -> Sheet:
    """Streamed from the database in chunks; fees stay numbers, dates stay dates."""
    return Sheet(
        title=title,
        header=COLUMNS,
        rows=member_rows(members, pii=pii),
        widths=(14, 14, 16, 12, 9, 9, 14, 30, 10, 12, 12),
        freeze_columns=1,
    )


def external_ids_sheet(members: QuerySet[Member]) -> Sheet:
    """Only the external ids (no personal data), e.g. the near-threshold segment for an upgrade offer."""
    ids = members.order_by("external_id").values_list("external_id", flat=True).iterator(chunk_size=ROWS_PER_FETCH)
    return Sheet(title="external_id", header=["external_id"], rows=([ext] for ext in ids))


def import_errors_sheet(job: ImportJob) -> Sheet:
    """Every refused row of an import: its number (1 = first data row) and the reason."""
    errors = (
        ImportRowError.objects.filter(job=job)
        .order_by("row", "id")
        .values_list("row", "message")
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    return Sheet(title="errors", header=["row", "message"], rows=errors)


def pii_export_record(*, actor: Any, fmt: str, filters: dict[str, Any], rows: int) -> None:
    """Write an unmasked export to the audit ledger: who, in which format, with which filters, how many rows."""
    audit_record(
        actor=actor,
        action="members.pii_exported",
        object_type=Member._meta.label_lower,
        after={"format": fmt, "filters": {k: str(v) for k, v in sorted(filters.items())}, "rows": rows},
    )
