"""The bounds and normal forms of SPEC 10.1, in one place.

Model fields, forms, serializers, services and the member import all use these: every date lies between
2000-01-01 and 2100-12-31; titles and names are at most 200 characters and longer texts at most 20,000;
codes and phone numbers are NFKC-normalised (full-width ``ＷＤ－２０２７`` becomes ``WD-2027``) and then
checked against one rule each.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
NAME_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000

CODE_MAX_LENGTH = 40
_CODE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)
_PHONE = re.compile(r"\+?[0-9]{5,20}", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def validate_date_in_bounds(value: dt.date | dt.datetime | None) -> None:
    """A date (or the date of a datetime) between 2000-01-01 and 2100-12-31."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s."),
            code="date_out_of_bounds",
            params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
        )


def date_in_bounds(value: dt.date) -> bool:
    return MIN_DATE <= value <= MAX_DATE


def shift_date(value: dt.date, days: int | dt.timedelta) -> dt.date:
    """``value`` moved by ``days``, clamped to the calendar Python can hold instead of raising
    OverflowError — for schedule arithmetic over rows that may predate the bounds."""
    delta = days if isinstance(days, dt.timedelta) else dt.timedelta(days=days)
    try:
        return value + delta
    except OverflowError:
        return dt.date.max if delta.days > 0 else dt.date.min


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def normalize_code(value: str) -> str:
    """NFKC, then trimmed: look-alike full-width characters become their ASCII selves."""
    return nfkc(value).strip()


def validate_code(value: str) -> None:
    """A code (campaign codes): ASCII letters and digits, inner ``-``, ``_`` or ``.``, at most 40 characters."""
    if len(value) > CODE_MAX_LENGTH or not _CODE.fullmatch(value):
        raise ValidationError(
            _("Use at most 40 letters A–Z, digits and inner - _ . characters, e.g. WD-2027."), code="invalid_code"
        )


def normalize_phone(value: str) -> str:
    """NFKC (full-width digits become ASCII), spaces, dashes and brackets dropped."""
    return _PHONE_SEPARATORS.sub("", nfkc(value).strip())


def validate_phone(value: str) -> None:
    """5–20 ASCII digits with an optional leading ``+`` — other scripts' digits are refused, not guessed."""
    if value and not _PHONE.fullmatch(value):
        raise ValidationError(_("Enter a phone number of 5 to 20 digits 0–9."), code="invalid_phone")


def clean_phone(value: str) -> str:
    """The one phone rule: normalised, then validated. Raises ValidationError."""
    phone = normalize_phone(value)
    validate_phone(phone)
    return phone


# --- Form and API fields -------------------------------------------------------------------


class BoundedDateField(forms.DateField):
    default_validators = [validate_date_in_bounds]


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [validate_date_in_bounds]


class CodeField(forms.CharField):
    default_validators = [validate_code]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", CODE_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalize_code(super().to_python(value))


class ApiDateField(serializers.DateField):
    default_validators = [validate_date_in_bounds]


class ApiDateTimeField(serializers.DateTimeField):
    default_validators = [validate_date_in_bounds]


class ApiCodeField(serializers.CharField):
    default_validators = [validate_code]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", CODE_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return normalize_code(super().to_internal_value(data))
