"""The risk register as CSV and XLSX (through core.exports): one row per risk, filtered and sorted as on the register page.

Numbers stay numbers so spreadsheets can sum and sort them; labels are in the active language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.exports import Sheet, export_filename, money

from .models import AlertLevel, Band, Risk


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
            money(risk.cost_impact),
            risk.schedule_impact_days,
            risk.contingency_plan,
        ]
        for risk in risks
    ]


def register_sheet(risks: Iterable[Risk]) -> Sheet:
    return Sheet(
        title=_("Risk register"),
        header=column_names(),
        rows=risk_rows(risks),
        widths=(12, 40, 16, 16, 11, 9, 8, 10, 12, 13, 12, 18, 12, 60),
        wrap=(13,),
        freeze_columns=2,
    )


def register_filename(campaign_code: str | None, fmt: str) -> str:
    return export_filename("risk-register", fmt, campaign_code=campaign_code)
