"""Member exports (SPEC 6): the filtered member list as CSV or XLSX, the near-threshold segment's external ids,
and an import's full error report.

Names and phones are masked in every export unless the caller passes ``pii=True``, which the views allow only
to holders of ``members.view_pii``; each such export is written to the audit ledger
(:func:`pii_export_record`) before the first row leaves the server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.services.audit import audit_record

from .models import ImportJob, ImportRowError, Member
from .privacy import mask_name, mask_phone

BOM = "\ufeff"  # Excel (as used in China) reads a CSV as UTF-8 only when it starts with this mark
# A cell starting with one of these is a formula to a spreadsheet: text from an upload must not become one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _csv_value(value: Any) -> Any:
    """Text defused so that no spreadsheet runs it as a formula (OWASP's CSV-injection advice)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


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
        yield [ext, name, phone, fee, band, "yes" if consent else "no", campaign or "", channel or "", tier, joined,
               consent_at]  # fmt: skip


class _Echo:
    """A file-like object whose write returns the text, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, one encoded line at a time."""
    writer = csv.writer(_Echo())
    yield (BOM + writer.writerow(list(header))).encode("utf-8")
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row]).encode("utf-8")


def members_csv(members: QuerySet[Member], *, pii: bool) -> Iterator[bytes]:
    return csv_stream(COLUMNS, member_rows(members, pii=pii))


def members_xlsx(members: QuerySet[Member], *, pii: bool, title: str = "Members") -> bytes:
    """A write-only workbook (constant memory per row); fees stay numbers, dates stay dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "B2"
    for index, width in enumerate((14, 14, 16, 12, 9, 9, 14, 30, 10, 12, 12), start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in member_rows(members, pii=pii):
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=_csv_value(value) if isinstance(value, str) else value)
            if index == 3:
                cell.number_format = "#,##0.00"
            elif index in (9, 10) and value is not None:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def external_ids_csv(members: QuerySet[Member]) -> Iterator[bytes]:
    """Only the external ids (no personal data), e.g. the near-threshold segment for an upgrade offer."""
    ids = members.order_by("external_id").values_list("external_id", flat=True).iterator(chunk_size=ROWS_PER_FETCH)
    return csv_stream(["external_id"], ([ext] for ext in ids))


def import_errors_csv(job: ImportJob) -> Iterator[bytes]:
    """Every refused row of an import: its number (1 = first data row) and the reason."""
    errors = (
        ImportRowError.objects.filter(job=job)
        .order_by("row", "id")
        .values_list("row", "message")
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    return csv_stream(["row", "message"], errors)


def export_filename(kind: str, fmt: str, *, scope: str = "") -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    parts = [kind, scope, stamp] if scope else [kind, stamp]
    return "-".join(parts) + f".{fmt}"


def pii_export_record(*, actor: Any, fmt: str, filters: dict[str, Any], rows: int) -> None:
    """Write an unmasked export to the audit ledger: who, in which format, with which filters, how many rows."""
    audit_record(
        actor=actor,
        action="members.pii_exported",
        object_type=Member._meta.label_lower,
        after={"format": fmt, "filters": {k: str(v) for k, v in sorted(filters.items())}, "rows": rows},
    )
