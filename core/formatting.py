"""Money as people read it (SPEC 4): two decimals, grouped the way the active language groups numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language


def format_cny(value: Any, *, unit: bool = False, empty: str = "—") -> str:
    """``1234.5`` → ``1,234.50`` (with ``unit``: ``1,234.50 CNY``, in Chinese ``1,234.50元``); ``None`` → ``empty``."""
    if value is None:
        return empty
    text = number_format(Decimal(str(value)).quantize(Decimal("0.01")), decimal_pos=2, force_grouping=True)
    if not unit:
        return text
    return f"{text}元" if (get_language() or "").startswith("zh") else f"{text} CNY"


def cny_text(value: Any) -> str:
    """An amount with its unit for sentences: ``1,234.50 CNY`` / ``1,234.50元``."""
    return format_cny(value, unit=True)
