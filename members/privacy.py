"""Personal-data masking (SPEC 6, Contract): how names and phone numbers show to those without ``view_pii``."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """Keep the first character, a * for every other: 張三 → 張*, 歐陽娜娜 → 歐***."""
    return name[:1] + "*" * (len(name) - 1) if name else name


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits, a * for each between: 13812345678 → 138****5678.
    Numbers too short for that keep only their first digit."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
