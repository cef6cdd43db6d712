"""Money as people read it (SPEC 4): two decimals, grouped the way the active language groups numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format


def format_cny(value: Any, *, unit: bool = False, empty: str = "—") -> str:
    """``1234.5`` → ``1,234.50`` (``1,234.50 CNY`` with ``unit``); ``None`` → ``empty``."""
    if value is None:
        return empty
    text = number_format(Decimal(str(value)).quantize(Decimal("0.01")), decimal_pos=2, force_grouping=True)
    return f"{text} CNY" if unit else text


def cny_text(value: Any) -> str:
    """An amount with its unit for sentences: ``1,234.50 CNY``."""
    return format_cny(value, unit=True)
