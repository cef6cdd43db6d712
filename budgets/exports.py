"""A budget as CSV and XLSX: a few header rows (campaign, version, status, cap, reserve), then one row per line
with its spend and burn. Amounts are plain numbers so spreadsheets can sum them."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Budget, BudgetLine

CENT = Decimal("0.01")
BOM = "\ufeff"  # Excel (as used in China) reads a CSV as UTF-8 only when it starts with this mark


def _burn(line: BudgetLine) -> Decimal:
    spent = getattr(line, "spent", Decimal(0))
    return (spent * 100 / line.amount).quantize(Decimal("0.1")) if line.amount else Decimal(0)


def header_rows(budget: Budget) -> list[tuple[str, Any]]:
    campaign = budget.campaign
    return [
        (_("Campaign"), f"{campaign.code} {campaign.name}"),
        (_("Version"), budget.version),
        (_("Status"), str(budget.get_status_display())),
        (_("Total cap (CNY)"), budget.total),
        (_("Reserve %"), budget.reserve_pct),
        (_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]


def column_names() -> list[str]:
    return [
        _("Category"),
        _("Kind"),
        _("Amount (CNY)"),
        _("Channel"),
        _("Note"),
        _("Spent (CNY)"),
        _("Burn %"),
    ]


def line_rows(lines: list[BudgetLine]) -> list[list[Any]]:
    return [
        [
            str(line.get_category_display()),
            str(line.get_kind_display()),
            line.amount,
            line.channel.name if line.channel_id else "",
            line.note,
            Decimal(getattr(line, "spent", 0)).quantize(CENT),
            _burn(line),
        ]
        for line in lines
    ]


def total_row(lines: list[BudgetLine]) -> list[Any]:
    amount = sum((line.amount for line in lines), Decimal(0))
    spent = sum((getattr(line, "spent", Decimal(0)) for line in lines), Decimal(0))
    burn = (spent * 100 / amount).quantize(Decimal("0.1")) if amount else Decimal(0)
    return [_("Total"), "", amount, "", "", spent.quantize(CENT), burn]


def budget_csv(budget: Budget, lines: list[BudgetLine]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    for label, value in header_rows(budget):
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow(column_names())
    writer.writerows(line_rows(lines))
    writer.writerow(total_row(lines))
    return out.getvalue().encode("utf-8")


def budget_xlsx(budget: Budget, lines: list[BudgetLine]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    money, pct = "#,##0.00", "0.0"
    book = Workbook()
    sheet = book.active
    sheet.title = f"{budget.campaign.code} v{budget.version}"[:31].translate(str.maketrans("[]:*?/\\", "-------"))
    bold = Font(bold=True)
    for label, value in header_rows(budget):
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet["B4"].number_format = money
    sheet["B5"].number_format = "0.00"
    sheet.append([])
    sheet.append(column_names())
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    for row in [*line_rows(lines), total_row(lines)]:
        sheet.append(row)
        number = sheet.max_row
        sheet.cell(row=number, column=3).number_format = money
        sheet.cell(row=number, column=6).number_format = money
        sheet.cell(row=number, column=7).number_format = pct
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for column, width in zip("ABCDEFG", (24, 16, 18, 20, 36, 18, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(budget: Budget, fmt: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", budget.campaign.code).strip("-") or f"campaign-{budget.campaign_id}"
    return f"budget-{code}-v{budget.version}.{fmt}"
