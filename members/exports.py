"""Member exports (SPEC 6): the filtered member list as CSV or XLSX, the near-threshold segment's external ids,
an import's full error list, and its fixable error report (SPEC 10.6): the refused rows exactly as uploaded, under
the upload's own header, with an ``error`` column, in the upload's own format and encoding (CSV in, CSV out — GBK
in, GBK out; UTF-8 with a BOM in, the same out; XLSX in, XLSX out), so it can be corrected and uploaded again.

Names and phones are masked in every export unless the caller passes ``pii=True``, which the views allow only
to holders of ``members.view_pii``; each such export is written to the audit ledger
(:func:`pii_export_record`) before the first row leaves the server.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import PurePath
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from core.exports import CONTENT_TYPES, DATE_FORMAT, DATETIME_FORMAT, Sheet, defuse, export_filename, money
from core.services.audit import audit_record

from .imports import original_cell
from .models import ImportBadRow, ImportJob, ImportRowError, Member
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


def consenting(members: QuerySet[Member]) -> QuerySet[Member]:
    """Only members who consent (PIPL, SPEC 10.6): what a targeting export may hold. A member who withdrew consent,
    or was erased, is left out."""
    return members.filter(consent=True, erased_at__isnull=True)


def members_sheet(members: QuerySet[Member], *, pii: bool, title: str = "Members") -> Sheet:
    """Streamed from the database in chunks; fees stay numbers, dates stay dates. With names and phones
    (``pii``) it is a targeting export: only :func:`consenting` members."""
    return Sheet(
        title=title,
        header=COLUMNS,
        rows=member_rows(consenting(members) if pii else members, pii=pii),
        widths=(14, 14, 16, 12, 9, 9, 14, 30, 10, 12, 12),
        freeze_columns=1,
    )


def external_ids_sheet(members: QuerySet[Member]) -> Sheet:
    """Only the external ids (no personal data), e.g. the near-threshold segment for an upgrade offer: a targeting
    export, so only :func:`consenting` members."""
    ids = consenting(members).order_by("external_id").values_list("external_id", flat=True)
    ids = ids.iterator(chunk_size=ROWS_PER_FETCH)
    return Sheet(title="external_id", header=["external_id"], rows=([ext] for ext in ids))


def import_errors_sheet(job: ImportJob) -> Sheet:
    """Every bad field of an import's refused rows: the row's number (1 = first data row), its line as Excel
    numbers it (the header is line 1), the field (empty for a row refused as a whole) and the message."""
    errors = (
        ImportRowError.objects.filter(job=job)
        .order_by("row", "id")
        .values_list("row", "field", "message")
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    return Sheet(
        title="errors",
        header=["row", "line", "field", "message"],
        rows=((row, row + 1, field, message) for row, field, message in errors),
    )


# --- The fixable error report ----------------------------------------------------------------------------------

ERROR_COLUMN = "error"
MESSAGE_JOIN = "; "
# Text a spreadsheet reads as a number (a phone "+86 138 …", a fee "-5") stays as it was; any other text that
# starts like a formula gets core.exports.defuse's apostrophe in the CSV report (the import takes it off again).
NUMBERISH = re.compile(r"^[+\-]?[\d\s.,()+\-]*$")
CSV_CHARSETS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030"}


def import_report_rows(job: ImportJob) -> Iterator[tuple[int, list[Any], str]]:
    """Each kept refused row in order: its number, its cells as uploaded (dates of a sheet as dates), and all its
    messages joined by "; ". Two streamed queries merged by row number (constant memory)."""
    errors = (
        ImportRowError.objects.filter(job=job)
        .order_by("row", "id")
        .values_list("row", "message")
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    kept = ImportBadRow.objects.filter(job=job).order_by("row").values_list("row", "values").iterator(chunk_size=500)
    pending = next(kept, None)
    for row, group in groupby(errors, key=itemgetter(0)):
        while pending is not None and pending[0] < row:
            pending = next(kept, None)
        values = pending[1] if pending is not None and pending[0] == row else []
        yield row, [original_cell(value) for value in values or []], MESSAGE_JOIN.join(m for _row, m in group)


def _report_line(header_width: int, values: list[Any], message: Any) -> list[Any]:
    """The row's cells padded to the header, the error column after them (cells beyond the header that hold
    something stay, to the right of the error column)."""
    values = list(values)
    while len(values) > header_width and values[-1] in ("", None):
        values.pop()
    own, extra = values[:header_width], values[header_width:]
    return [*own, *([""] * (header_width - len(own))), message, *extra]


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    return text if NUMBERISH.match(text) else defuse(text)


def _report_csv(job: ImportJob) -> Iterator[bytes]:
    encoding = job.encoding or "utf-8-sig"
    encoder = codecs.getincrementalencoder(encoding)()  # a BOM once, at the start, for utf-8-sig
    out = io.StringIO()
    writer = csv.writer(out)

    def line(values: list[Any]) -> bytes:
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        return encoder.encode(out.getvalue())

    header = [str(name) for name in job.header]
    yield line([*header, ERROR_COLUMN])
    for _row, values, message in import_report_rows(job):
        yield line([_csv_text(v) for v in _report_line(len(header), values, defuse(message))])
    yield encoder.encode("", final=True)


def _report_xlsx(job: ImportJob) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(title="errors")

    def cell(value: Any, *, bold: bool = False) -> Any:
        written = WriteOnlyCell(ws, value=None if value == "" else value)  # an empty cell read as "" stays empty
        if written.data_type == "f":  # text that looks like a formula stays text, exactly as it was uploaded
            written.data_type = "s"
        if isinstance(value, dt.datetime):
            written.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            written.number_format = DATE_FORMAT
        if bold:
            written.font = Font(bold=True)
        return written

    header = [original_cell(name) for name in job.header]
    ws.append([cell(name, bold=True) for name in [*header, ERROR_COLUMN]])
    for _row, values, message in import_report_rows(job):
        ws.append([cell(value) for value in _report_line(len(header), values, message)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_report_filename(job: ImportJob) -> str:
    """``<upload's name>-to-fix-<YYYYMMDD>.<csv|xlsx>`` (its non-ASCII letters left out, as in every export)."""
    stem = PurePath(job.filename or "import").stem[:60]
    return export_filename(f"{stem}-to-fix", "xlsx" if job.file_format == "xlsx" else "csv")


def import_report_response(job: ImportJob) -> HttpResponse | StreamingHttpResponse:
    """The fixable error report as a download: the refused rows as uploaded plus the ``error`` column, in the
    upload's format and encoding."""
    if job.file_format == "xlsx":
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            _report_xlsx(job), content_type=CONTENT_TYPES["xlsx"]
        )
    else:
        charset = CSV_CHARSETS.get(job.encoding or "utf-8-sig", "utf-8")
        response = StreamingHttpResponse(_report_csv(job), content_type=f"text/csv; charset={charset}")
    response["Content-Disposition"] = content_disposition_header(True, import_report_filename(job))
    return response


def pii_export_record(*, actor: Any, fmt: str, filters: dict[str, Any], rows: int) -> None:
    """Write an unmasked export to the audit ledger: who, in which format, with which filters, how many rows."""
    audit_record(
        actor=actor,
        action="members.pii_exported",
        object_type=Member._meta.label_lower,
        after={"format": fmt, "filters": {k: str(v) for k, v in sorted(filters.items())}, "rows": rows},
    )
