"""One way to write a spreadsheet export, for every app (budget, risk register, members, near-threshold ids,
import errors).

Every export is a :class:`Sheet` — optional label/value rows on top, a header row, the data rows, optional bold
footer rows — written by :func:`csv_lines` or :func:`xlsx_bytes`, so all exports look and behave alike:

* the file is called ``<campaign code>-<what>-<YYYYMMDD>.<csv|xlsx>`` (:func:`export_filename`; without a
  campaign, ``<what>-<YYYYMMDD>``);
* CSV is UTF-8 with a byte-order mark, which Excel (as used in China) needs to read it as UTF-8;
* text that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage return) gets a
  leading apostrophe, in CSV and in XLSX alike (OWASP's CSV-injection advice);
* money (:class:`Money`) is a number with two decimals (``#,##0.00`` in XLSX), dates are ISO (``yyyy-mm-dd``);
* the XLSX header row is bold on a grey fill, frozen, with a filter; label rows on top have bold labels.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: text typed or uploaded by users must not be one.
# Full-width look-alikes (＝＋－＠) are formulas to some spreadsheets too, "|" starts a DDE call, and a leading
# invisible character (zero-width space or joiner, word joiner, BOM) can hide any of them.
FORMULA_STARTS = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "＝",
    "＋",
    "－",
    "＠",
    "|",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CENT = Decimal("0.01")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "DDE3EA"
SHEET_TITLE_BAD = str.maketrans("[]:*?/\\", "-------")


class Money(Decimal):
    """An amount of money: written with exactly two decimals, and as ``#,##0.00`` in XLSX."""


def money(value: Any) -> Money | None:
    if value is None or value == "":
        return None
    return Money(Decimal(value).quantize(CENT))


def defuse(value: str) -> str:
    """Text that no spreadsheet runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@dataclass
class Sheet:
    """What one export holds; ``rows`` may be a generator (it is read once)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    preamble: Sequence[tuple[str, Any]] = ()  # label/value rows above the table (then one empty row)
    footer: Sequence[Sequence[Any]] = ()  # bold rows under the table, e.g. totals
    widths: Sequence[int] = ()  # XLSX column widths, in characters
    number_formats: dict[int, str] = field(default_factory=dict)  # XLSX formats of non-money number columns
    wrap: Sequence[int] = ()  # XLSX columns (0-based) whose text wraps
    freeze_columns: int = 0  # XLSX columns kept in view when scrolling right


# --- Values ----------------------------------------------------------------------------------------------------


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, Money):
        return f"{value.quantize(CENT):f}"
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)  # Excel has no time zones: the local time
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


# --- CSV -------------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the text, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(sheet: Sheet) -> Iterator[bytes]:
    """The sheet as UTF-8 CSV with a BOM, one encoded line at a time (constant memory)."""
    writer = csv.writer(_Echo())
    first = BOM
    for label, value in sheet.preamble:
        yield (first + writer.writerow([csv_value(label), csv_value(value)])).encode("utf-8")
        first = ""
    if sheet.preamble:
        yield writer.writerow([]).encode("utf-8")
    yield (first + writer.writerow([csv_value(name) for name in sheet.header])).encode("utf-8")
    for row in sheet.rows:
        yield writer.writerow([csv_value(value) for value in row]).encode("utf-8")
    for row in sheet.footer:
        yield writer.writerow([csv_value(value) for value in row]).encode("utf-8")


def csv_bytes(sheet: Sheet) -> bytes:
    return b"".join(csv_lines(sheet))


# --- XLSX ------------------------------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
    return str(text).translate(SHEET_TITLE_BAD)[:31] or "Sheet"


def xlsx_bytes(sheet: Sheet) -> bytes:
    """The sheet as a write-only workbook (constant memory per row); numbers and dates stay numbers and dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet_title(sheet.title))
    for index, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value: Any, column: int, *, strong: bool = False) -> Any:
        written = WriteOnlyCell(ws, value=_xlsx_value(value))
        if written.data_type == "f":  # openpyxl takes any text starting with "=" for a formula: keep it text
            written.data_type = "s"
        if isinstance(value, Money):
            written.number_format = MONEY_FORMAT
        elif isinstance(value, dt.datetime):
            written.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            written.number_format = DATE_FORMAT
        elif column in sheet.number_formats and isinstance(value, int | float | Decimal):
            written.number_format = sheet.number_formats[column]
        if column in sheet.wrap:
            written.alignment = wrap
        if strong:
            written.font = bold
        return written

    header_row = len(sheet.preamble) + (2 if sheet.preamble else 1)
    ws.freeze_panes = f"{get_column_letter(sheet.freeze_columns + 1)}{header_row + 1}"
    rows = header_row
    for label, value in sheet.preamble:
        ws.append([cell(label, -1, strong=True), cell(value, -1)])
    if sheet.preamble:
        ws.append([])
    header = []
    for name in sheet.header:
        written = WriteOnlyCell(ws, value=name)
        written.font, written.fill = bold, fill
        header.append(written)
    ws.append(header)
    for row in sheet.rows:
        ws.append([cell(value, column) for column, value in enumerate(row)])
        rows += 1
    for row in sheet.footer:
        ws.append([cell(value, column, strong=True) for column, value in enumerate(row)])
    if sheet.header:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(sheet.header))}{max(rows, header_row)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Files and responses ---------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def export_filename(what: str, fmt: str, *, campaign_code: str | None = None, day: dt.date | None = None) -> str:
    """``<campaign code>-<what>-<YYYYMMDD>.<fmt>`` (the campaign part left out for exports across campaigns)."""
    stamp = (day or timezone.localdate()).strftime("%Y%m%d")
    parts = [_slug(campaign_code or ""), _slug(what), stamp]
    return "-".join(part for part in parts if part) + f".{fmt}"


def export_response(
    sheet: Sheet, fmt: str, filename: str, *, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """The file as a download. ``stream``: CSV goes out line by line (large exports); XLSX is always built whole
    (the zip format needs it)."""
    if fmt == "csv" and stream:
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            csv_lines(sheet), content_type=CONTENT_TYPES["csv"]
        )
    elif fmt == "csv":
        response = HttpResponse(csv_bytes(sheet), content_type=CONTENT_TYPES["csv"])
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(sheet), content_type=CONTENT_TYPES["xlsx"])
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
