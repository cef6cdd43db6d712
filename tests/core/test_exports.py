"""core.exports and every export built on it: one file-name pattern, a BOM on every CSV, one header style, money
with two decimals, ISO dates, and text that cannot become a spreadsheet formula — in CSV and XLSX alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from budgets.services import budget_create
from campaigns.models import Channel
from core.exports import (
    BOM,
    Money,
    Sheet,
    csv_bytes,
    csv_value,
    defuse,
    export_filename,
    export_response,
    money,
    xlsx_bytes,
)
from members.models import ImportJob, ImportRowError, Member
from risks.services import risk_save

NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)  # 2027-03-01 10:00 in Shanghai
EVIL = ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- The helper ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EVIL)
def test_every_formula_start_gets_an_apostrophe(text):
    assert defuse(text) == f"'{text}"
    assert csv_value(text) == f"'{text}"


@pytest.mark.parametrize("text", ["plain", "1+1", "a=b", "", "會員"])
def test_other_text_is_left_alone(text):
    assert defuse(text) == text


def test_values_are_written_the_same_way_everywhere():
    assert csv_value(money("1234.5")) == "1234.50" and isinstance(money(7), Money)
    assert money(None) is None and csv_value(None) == ""
    assert csv_value(dt.date(2027, 3, 8)) == "2027-03-08"
    assert csv_value(dt.datetime(2027, 3, 8, 1, 30, tzinfo=dt.UTC)) == "2027-03-08T09:30:00+08:00"
    assert csv_value(True) == "yes" and csv_value(3) == 3 and csv_value(Decimal("2.5")) == Decimal("2.5")


def test_file_names_follow_one_pattern():
    assert export_filename("risk-register", "csv", campaign_code="WD-2027") == "WD-2027-risk-register-20270301.csv"
    assert export_filename("members", "xlsx") == "members-20270301.xlsx"
    assert export_filename("budget-v2", "csv", campaign_code="女神節 2027/3") == "2027-3-budget-v2-20270301.csv"
    assert export_filename("x", "csv", day=dt.date(2026, 12, 31)) == "x-20261231.csv"


def sheet(**kw) -> Sheet:
    fields = {
        "title": "Test: [a]/b",
        "header": ["Name", "Amount", "Day"],
        "rows": [["=1+1", money("12.3"), dt.date(2027, 3, 8)], ["ok", money("1000"), None]],
        **kw,
    }
    return Sheet(**fields)


def test_a_csv_has_one_bom_then_the_header_and_rows():
    body = csv_bytes(sheet(preamble=[("Campaign", "WD")], footer=[["Total", money("1012.3"), None]]))
    assert body.startswith(BOM.encode()) and body.count(BOM.encode()) == 1
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["Campaign", "WD"], [], ["Name", "Amount", "Day"], ["'=1+1", "12.30", "2027-03-08"],
                    ["ok", "1000.00", ""], ["Total", "1012.30", ""]]  # fmt: skip


def test_an_xlsx_has_the_shared_header_style_and_typed_cells():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheet(preamble=[("Campaign", "WD")], freeze_columns=1))))
    ws = book.active
    assert ws.title == "Test- -a--b"
    assert [c.value for c in ws[3]] == ["Name", "Amount", "Day"]
    assert all(c.font.bold for c in ws[3]) and ws["A3"].fill.fgColor.rgb.endswith("DDE3EA")
    assert ws["A1"].font.bold and not ws["B1"].font.bold
    assert ws.freeze_panes == "B4" and ws.auto_filter.ref == "A3:C5"
    assert ws["A4"].value == "'=1+1" and ws["A4"].data_type == "s"
    assert ws["B4"].value == 12.3 and ws["B4"].number_format == "#,##0.00"
    assert ws["C4"].value.date() == dt.date(2027, 3, 8) and ws["C4"].number_format == "yyyy-mm-dd"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        export_response(sheet(), "pdf", "x.pdf")


# --- Every export ------------------------------------------------------------------------------------------


@pytest.fixture
def campaign(campaign):
    """The shared WD-2027 with a channel whose name starts like a spreadsheet formula."""
    Channel.objects.create(campaign=campaign, type="app_push", name="@push")
    return campaign


@pytest.fixture
def planted(cast, campaign):
    """A value starting with a formula character in every export."""
    channel = campaign.channels.get()
    lines = [
        {"category": "tech_development", "kind": "rigid", "amount": "27000000.00", "note": "=cmd|' /C calc'!A0"},
        {"category": "emergency", "kind": "flexible", "amount": "3000000.00", "channel": channel.pk, "note": "+1"},
    ]
    budget = budget_create(actor=cast.lead, campaign=campaign, total="30000000.00", lines=lines)
    risk_save(campaign=campaign, actor=cast.lead, title="=HYPERLINK(1)", category="technical", probability=3,
              impact=3, contingency_plan="-rm", cost_impact="1500000")  # fmt: skip
    Member.objects.create(external_id="@M1", name="=evil", annual_fee=Decimal("180"), tier="basic", consent=True,
                          source_campaign=campaign, source_channel=channel)  # fmt: skip
    job = ImportJob.objects.create(uploaded_by=cast.lead, filename="x.csv", file_format="csv", status="done")
    ImportRowError.objects.create(job=job, row=1, message="=1+1 is not a fee")
    return {"budget": budget, "job": job, "campaign": campaign}


def exports(planted) -> list[tuple[str, str, str]]:
    """(url, who, expected what-part of the file name) for every export the app offers."""
    b, j, c = planted["budget"].pk, planted["job"].pk, planted["campaign"].pk
    return [
        (f"/budgets/{b}/export.csv", "lead", "budget-v1"),
        (f"/budgets/{b}/export.xlsx", "lead", "budget-v1"),
        ("/risks/export.csv", "lead", "risk-register"),
        (f"/risks/export.xlsx?campaign={c}", "lead", "risk-register"),
        ("/members/export.csv", "admin", "members"),
        (f"/members/export.xlsx?campaign={c}", "admin", "members"),
        ("/members/export.csv?pii=1", "admin", "members-pii"),
        (f"/members/analytics/near-threshold.csv?campaign={c}", "lead", "near-threshold"),
        (f"/members/imports/{j}/errors.csv", "lead", f"import-{j}-errors"),
        (f"/api/v1/members/imports/{j}/errors.csv", "lead", f"import-{j}-errors"),
    ]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def cells(url: str, content: bytes) -> list[list[str]]:
    if ".xlsx" in url:
        ws = openpyxl.load_workbook(io.BytesIO(content)).active
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{url}: {cell.coordinate} is a formula"
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert content.startswith(BOM.encode()), url
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_every_export_defuses_formulas_and_names_its_file_alike(browser_client, cast, planted):
    seen = set()
    for url, who, what in exports(planted):
        response = browser_client(getattr(cast, who)).get(url)
        assert response.status_code == 200, url
        ext = "xlsx" if ".xlsx" in url else "csv"
        code = "WD-2027-" if "campaign=" in url or "/budgets/" in url else ""
        assert response["Content-Disposition"] == f'attachment; filename="{code}{what}-20270301.{ext}"', url
        values = [v for row in cells(url, body(response)) for v in row]
        dangerous = [v for v in values if v.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert not dangerous, (url, dangerous)
        defused = {v for v in values if v.startswith("'")}
        assert defused, url
        seen |= defused
    assert {"'=cmd|' /C calc'!A0", "'+1", "'@push", "'=HYPERLINK(1)", "'-rm", "'@M1", "'=evil",
            "'=1+1 is not a fee"} <= seen  # fmt: skip


def test_money_has_two_decimals_in_every_csv(browser_client, cast, planted):
    client = browser_client(cast.lead)
    budget = list(csv.reader(io.StringIO(client.get(f"/budgets/{planted['budget'].pk}/export.csv").content.decode(
        "utf-8-sig"))))  # fmt: skip
    assert ["Total cap (CNY)", "30000000.00"] in budget
    risks = list(csv.reader(io.StringIO(client.get("/risks/export.csv").content.decode("utf-8-sig"))))
    assert risks[1][11] == "1500000.00"
    members = cells(".csv", body(browser_client(cast.admin).get("/members/export.csv")))
    assert members[1][3] == "180.00"


def test_every_xlsx_header_row_looks_the_same(browser_client, cast, planted):
    for url, who, _what in exports(planted):
        if ".xlsx" not in url:
            continue
        ws = openpyxl.load_workbook(io.BytesIO(browser_client(getattr(cast, who)).get(url).content)).active
        header = int(re.match(r"[A-Z]+(\d+)", ws.freeze_panes).group(1)) - 1
        row = list(ws[header])
        assert row[0].value and all(c.font.bold for c in row if c.value), url
        assert all(c.fill.fgColor.rgb.endswith("DDE3EA") for c in row if c.value), url
        assert ws.auto_filter.ref.startswith(f"A{header}:"), url
