"""Also in issue 13: the spreadsheet-formula guard missed full-width ＝＋－＠, a leading zero-width space or BOM
that hides a formula, and "|" (a DDE call). Every one of them is now defused like "=" was."""

from __future__ import annotations

import pytest

from core.exports import defuse


@pytest.mark.parametrize(
    "text",
    ["＝1+1", "＋cmd", "－2+3", "＠SUM(A1)", '\u200b=HYPERLINK("http://x")', "\ufeff=1+1", "\u200c+1", "|calc!A0"],
)
def test_hidden_and_full_width_formulas_are_defused(text):
    assert defuse(text) == f"'{text}"


@pytest.mark.parametrize("text", ["張三", "WD-2027", "1,000", "a=b", "＝"[:0] + "普通文字"])
def test_plain_text_is_left_alone(text):
    assert defuse(text) == text
