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


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def short_amount(value: Any) -> str:
    """A number for where space is short (chart axes, cards): ``2,800万`` / ``1.2亿`` in Chinese, ``28 M`` /
    ``35 k`` in English."""
    number = float(value or 0)
    size = abs(number)
    if _chinese():
        if size >= 100_000_000:
            return f"{number / 100_000_000:,.2f}".rstrip("0").rstrip(".") + "亿"
        if size >= 10_000:
            return f"{number / 10_000:,.1f}".rstrip("0").rstrip(".") + "万"
        return f"{number:,.0f}"
    if size >= 1_000_000:
        return f"{number / 1_000_000:,.1f}".rstrip("0").rstrip(".") + " M"
    if size >= 1_000:
        return f"{number / 1_000:,.0f} k"
    return f"{number:,.0f}"


def cny_full(value: Any, *, empty: str = "—") -> str:
    """An amount in full with the yuan sign: ``¥28,000,000.00`` (both languages)."""
    return empty if value is None else f"¥{format_cny(value)}"


def cny_short(value: Any, *, empty: str = "—") -> str:
    """An amount where space is short: ``2,800万元`` in Chinese, ``¥28 M`` in English."""
    if value is None:
        return empty
    return f"{short_amount(value)}元" if _chinese() else f"¥{short_amount(value).replace(' ', '')}"
