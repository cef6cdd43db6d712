from __future__ import annotations

import datetime as dt

import pytest

from core.calendar import is_working_day, next_working_day

pytestmark = pytest.mark.django_db


def test_statutory_holidays_and_make_up_working_days():
    assert is_working_day(dt.date(2025, 9, 28))  # a Sunday worked to make up for National Day
    assert not is_working_day(dt.date(2025, 10, 1))  # National Day, a Wednesday
    assert not is_working_day(dt.date(2026, 2, 17))  # Spring Festival
    assert is_working_day(dt.date(2027, 1, 11))  # an ordinary Monday


def test_years_the_package_does_not_know_fall_back_to_weekends():
    assert is_working_day(dt.date(2150, 1, 6))  # a Tuesday
    assert not is_working_day(dt.date(2150, 1, 4))  # a Sunday


def test_next_working_day_skips_the_holiday():
    assert next_working_day(dt.date(2025, 10, 1)) == dt.date(2025, 10, 9)
    assert next_working_day(dt.date(2027, 1, 11)) == dt.date(2027, 1, 11)
