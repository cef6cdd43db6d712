"""A budget as CSV and XLSX (through core.exports): a few label rows (campaign, version, status, cap, reserve),
then one row per line with its spend and burn, and a total. Amounts are plain numbers so spreadsheets can sum
them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import Sheet, export_filename, money

from .models import Budget, BudgetLine


def _burn(spent: Decimal, amount: Decimal) -> Decimal:
    return (spent * 100 / amount).quantize(Decimal("0.1")) if amount else Decimal(0)


def header_rows(budget: Budget) -> list[tuple[str, Any]]:
    campaign = budget.campaign
    return [
        (_("Campaign"), f"{campaign.code} {campaign.name}"),
        (_("Version"), budget.version),
        (_("Status"), str(budget.get_status_display())),
        (_("Total cap (CNY)"), money(budget.total)),
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
    rows = []
    for line in lines:
        spent = Decimal(getattr(line, "spent", 0))
        rows.append(
            [
                str(line.get_category_display()),
                str(line.get_kind_display()),
                money(line.amount),
                line.channel.name if line.channel_id else "",
                line.note,
                money(spent),
                _burn(spent, line.amount),
            ]
        )
    return rows


def total_row(lines: list[BudgetLine]) -> list[Any]:
    amount = sum((line.amount for line in lines), Decimal(0))
    spent = sum((getattr(line, "spent", Decimal(0)) for line in lines), Decimal(0))
    return [_("Total"), "", money(amount), "", "", money(spent), _burn(spent, amount)]


def budget_sheet(budget: Budget, lines: list[BudgetLine]) -> Sheet:
    return Sheet(
        title=f"{budget.campaign.code} v{budget.version}",
        preamble=header_rows(budget),
        header=column_names(),
        rows=line_rows(lines),
        footer=[total_row(lines)],
        widths=(24, 16, 18, 20, 36, 18, 10),
        number_formats={6: "0.0"},
    )


def budget_filename(budget: Budget, fmt: str) -> str:
    return export_filename(f"budget-v{budget.version}", fmt, campaign_code=budget.campaign.code)
