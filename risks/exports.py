"""The risk register as CSV and XLSX: one row per risk, filtered and sorted as on the register page.

Numbers stay numbers so spreadsheets can sum and sort them; labels are in the active language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import AlertLevel, Band, Risk

BOM = "\ufeff"  # Excel (as used in China) reads a CSV as UTF-8 only when it starts with this mark
# A cell starting with one of these is a formula to a spreadsheet: text typed by users must not become one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def column_names() -> list[str]:
    return [
        _("Campaign"),
        _("Title"),
        _("Category"),
        _("Owner"),
        _("Probability"),
        _("Impact"),
        _("Score"),
        _("Band"),
        _("Alert level"),
        _("Expected date"),
        _("Status"),
        _("Cost impact (CNY)"),
        _("Schedule impact (days)"),
        _("Contingency plan"),
    ]


def _alert_label(level: str) -> str:
    return {
        AlertLevel.RED: pgettext("alert level", "Red"),
        AlertLevel.YELLOW: pgettext("alert level", "Yellow"),
        AlertLevel.BLUE: pgettext("alert level", "Blue"),
    }.get(level, _("No alert"))


def _csv_value(value: Any) -> Any:
    """Text defused so that no spreadsheet runs it as a formula (OWASP's CSV-injection advice)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def risk_rows(risks: Iterable[Risk]) -> list[list[Any]]:
    return [
        [
            risk.campaign.code,
            risk.title,
            str(risk.get_category_display()),
            str(risk.owner) if risk.owner_id else "",
            risk.probability,
            risk.impact,
            risk.probability * risk.impact,
            str(Band(risk.band).label),
            _alert_label(risk.alert_level),
            risk.expected_date,
            str(risk.get_status_display()),
            risk.cost_impact,
            risk.schedule_impact_days,
            risk.contingency_plan,
        ]
        for risk in risks
    ]


def register_csv(risks: Iterable[Risk]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(column_names())
    for row in risk_rows(risks):
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode("utf-8")


def register_xlsx(risks: Iterable[Risk]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Risk register")[:31]
    sheet.append(column_names())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in risk_rows(risks):
        sheet.append(row)
        number = sheet.max_row
        for cell in sheet[number]:
            if cell.data_type == "f":  # openpyxl reads text starting with "=" as a formula: keep it text
                cell.data_type = "s"
        sheet.cell(row=number, column=10).number_format = "yyyy-mm-dd"
        sheet.cell(row=number, column=12).number_format = "#,##0.00"
        sheet.cell(row=number, column=14).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    widths = (12, 40, 16, 16, 11, 9, 8, 10, 12, 13, 12, 18, 12, 60)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(campaign_code: str | None, fmt: str) -> str:
    day = timezone.localdate().isoformat()
    scope = campaign_code or "all"
    return f"risk-register-{scope}-{day}.{fmt}"
