"""Set-wise jobs fill thousands of notices per language with a decoder that remembers what it wrote (issue 20):
the texts must be exactly those the plain decoder writes, value by value, in every language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.messages import Money, Words, decode, encode_params, fill, remembering_decode
from risks.models import AlertLevel
from risks.notices import ALERT_MESSAGES, ESCALATED

ROWS = [
    {"risk": "平台崩潰", "campaign": "WD-2027", "date": dt.date(2027, 3, 8)},
    {"risk": "Partner late", "campaign": "WD-2027", "date": dt.date(2027, 3, 9)},
    {"risk": "平台崩潰", "campaign": "CNY-2028", "date": dt.date(2027, 3, 8)},
    {"risk": "x", "campaign": "y", "date": None},
    {"level": AlertLevel.RED.label, "risk": "r", "campaign": "c", "owner": "王麗華"},
    {"level": AlertLevel.YELLOW.label, "risk": "r", "campaign": "c", "owner": Words("WD-2027", _("Standup"))},
    {"risk": Money(Decimal("1234.5")), "campaign": [_("Budget"), _("Risks")], "date": dt.datetime(2027, 3, 8, 9, 30)},
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_remembered_texts_are_the_plain_decoders_texts(language):
    with translation.override(language):
        remembered = remembering_decode()
        for message in [*ALERT_MESSAGES.values(), ESCALATED]:
            template = str(message.text)
            for row in ROWS * 2:  # the second time round every value comes from memory
                params = encode_params(row)
                assert fill(message, template, params, remembered) == fill(message, template, params)
                for value in params.values():
                    assert remembered(value) == decode(value)


def test_one_decoder_per_language():
    """The memory is the language's: a decoder made in English writes English dates after a switch too, so
    callers make one per language (notify_rows does)."""
    with translation.override("en"):
        english = remembering_decode()
        value = encode_params({"date": dt.date(2027, 3, 8)})["date"]
        first = english(value)
    with translation.override("zh-hans"):
        assert english(value) == first
        assert remembering_decode()(value) == decode(value) != first
