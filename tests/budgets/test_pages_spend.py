"""Expenses and burn bars on the detail page, the CSV and XLSX exports, and query counts that do not grow with
the data on the list, detail and queue pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from budgets.models import Budget, BudgetStatus, Expense
from budgets.services import budget_submit, expense_record, signoff_record
from tests.budgets.test_pages_support import approve_all, field_error, flashes, html, make_budgets

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(cast, budget, signers) -> Budget:
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.APPROVED
    return budget


def spend(budget, category: str, amount: str, actor) -> None:
    line = budget.lines.get(category=category)
    expense_record(line=line, actor=actor, amount=amount, date=dt.date(2027, 3, 1), description=f"{category} spend")


def expense_data(line_obj, amount="1000000.00", **overrides):
    return {
        "line": str(line_obj.pk),
        "amount": amount,
        "date": "2027-03-01",
        "description": "H5 production",
        **overrides,
    }


# --- Expenses and burn -----------------------------------------------------------------------------


def test_the_lead_records_an_expense_and_the_burn_bar_moves(browser_client, cast, approved):
    line = approved.lines.get(category="tech_development")
    client = browser_client(cast.lead)
    assert f'action="/budgets/{approved.pk}/expenses/"' in html(client.get(f"/budgets/{approved.pk}/"))
    response = client.post(f"/budgets/{approved.pk}/expenses/", expense_data(line, "4,000,000"), follow=True)
    assert response.redirect_chain[-1][0] == f"/budgets/{approved.pk}/#lines"
    assert any("Recorded 4,000,000.00 CNY against Tech development." in m for m in flashes(response))
    expense = Expense.objects.get()
    assert (expense.line, expense.amount, expense.recorded_by) == (line, Decimal("4000000.00"), cast.lead)
    page = html(response)
    assert 'data-line="tech_development" data-burn="ok"' in page
    assert 'value="50.0"' in page and "50.0 %" in page
    assert "H5 production" in page


def test_burn_bars_turn_amber_at_90_and_red_at_100_percent(browser_client, cast, approved):
    spend(approved, "materials", "1800000.00", cast.lead)  # 90 % of 2 M
    spend(approved, "emergency", "1200000.00", cast.lead)  # 120 % of 1 M
    spend(approved, "partner_reserve", "2600000.00", cast.lead)  # 86.7 %
    page = html(browser_client(cast.viewer).get(f"/budgets/{approved.pk}/"))
    assert 'data-line="materials" data-burn="warn"' in page and "90.0 %" in page
    assert 'data-line="emergency" data-burn="over"' in page and "120.0 %" in page
    assert 'data-line="partner_reserve" data-burn="ok"' in page and "86.7 %" in page
    assert 'class="burn burn-over" max="100" value="100"' in page  # the bar stops at full; the text says 120 %


def test_the_deputy_may_record_expenses_but_not_the_member(browser_client, cast, approved):
    line = approved.lines.get(category="materials")
    assert browser_client(cast.deputy).post(f"/budgets/{approved.pk}/expenses/", expense_data(line)).status_code == 302
    member = browser_client(cast.member)
    assert f'action="/budgets/{approved.pk}/expenses/"' not in html(member.get(f"/budgets/{approved.pk}/"))
    assert member.post(f"/budgets/{approved.pk}/expenses/", expense_data(line)).status_code == 403
    assert Expense.objects.count() == 1


def test_bad_expense_input_is_shown_next_to_the_field(browser_client, cast, approved):
    line = approved.lines.get(category="materials")
    client = browser_client(cast.lead)
    response = client.post(f"/budgets/{approved.pk}/expenses/", expense_data(line, amount="0", description=""))
    assert response.status_code == 400
    page = html(response)
    assert "The amount must be greater than zero." in field_error(page, "id_amount")
    assert "This field is required." in field_error(page, "id_description")
    response = client.post(f"/budgets/{approved.pk}/expenses/", expense_data(line, line="999999"))
    assert response.status_code == 400
    assert "Select a valid choice." in field_error(html(response), "id_line")
    assert not Expense.objects.exists()


def test_expenses_on_a_budget_not_approved_are_refused_with_the_reason(browser_client, cast, budget):
    line = budget.lines.get(category="materials")
    client = browser_client(cast.lead)
    assert "Record expense" not in html(client.get(f"/budgets/{budget.pk}/"))
    response = client.post(f"/budgets/{budget.pk}/expenses/", expense_data(line), follow=True)
    assert any("approved budget version only" in m for m in flashes(response))
    assert not Expense.objects.exists()


def test_a_line_of_another_budget_cannot_be_charged(browser_client, cast, approved):
    other = make_budgets(cast, 1, prefix="OT")[0]
    foreign = other.lines.get(category="materials")
    response = browser_client(cast.lead).post(f"/budgets/{approved.pk}/expenses/", expense_data(foreign))
    assert response.status_code == 400
    assert not Expense.objects.exists()


def test_expenses_appear_on_the_timeline(browser_client, cast, approved):
    spend(approved, "materials", "500000.00", cast.lead)
    page = html(browser_client(cast.lead).get(f"/budgets/{approved.pk}/"))
    assert 'data-action="budget.expense"' in page
    assert "500,000.00 CNY on Materials" in page


# --- Exports ---------------------------------------------------------------------------------------


def stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


def test_the_csv_export_starts_with_a_bom_and_has_the_lines(browser_client, cast, approved):
    spend(approved, "materials", "1800000.00", cast.lead)
    response = browser_client(cast.viewer).get(f"/budgets/{approved.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="WD-2027-budget-v1-{stamp()}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Campaign", "WD-2027 Women's Day 2027"]
    assert rows[1] == ["Version", "1"] and rows[2] == ["Status", "Approved"]
    assert rows[3] == ["Total cap (CNY)", "30000000.00"] and rows[4] == ["Reserve %", "10.00"]
    header = rows.index(["Category", "Kind", "Amount (CNY)", "Channel", "Note", "Spent (CNY)", "Burn %"])
    lines = rows[header + 1 : header + 7]
    assert lines[0][:3] == ["Tech development", "Rigid cost", "8000000.00"]
    materials = next(row for row in lines if row[0] == "Materials")
    assert materials[5:] == ["1800000.00", "90.0"]
    assert rows[header + 7][0] == "Total" and rows[header + 7][2] == "28000000.00"


def test_the_xlsx_export_opens_with_the_figures_in_cells(browser_client, cast, approved):
    spend(approved, "emergency", "250000.00", cast.lead)
    response = browser_client(cast.lead).get(f"/budgets/{approved.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="WD-2027-budget-v1-{stamp()}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Campaign" and sheet["B1"].value == "WD-2027 Women's Day 2027"
    assert sheet["B2"].value == 1 and sheet["B3"].value == "Approved"
    assert sheet["B4"].value == 30000000 and sheet["B4"].number_format == "#,##0.00"
    assert sheet["B5"].value == 10
    assert [cell.value for cell in sheet[8]] == [
        "Category",
        "Kind",
        "Amount (CNY)",
        "Channel",
        "Note",
        "Spent (CNY)",
        "Burn %",
    ]
    assert sheet["A9"].value == "Tech development" and sheet["C9"].value == 8000000
    emergency = next(row for row in sheet.iter_rows(min_row=9, values_only=True) if row[0] == "Emergency reserve")
    assert emergency[5] == 250000 and emergency[6] == 25
    assert sheet["A15"].value == "Total" and sheet["C15"].value == 28000000


def test_exports_are_translated_for_a_chinese_reader(browser_client, cast, approved):
    cast.viewer.language = "zh-hans"
    cast.viewer.save()
    client = browser_client(cast.viewer)
    client.cookies["django_language"] = "zh-hans"
    text = client.get(f"/budgets/{approved.pk}/export.csv").content.decode("utf-8-sig")
    assert "WD-2027" in text and "8000000.00" in text


# --- Query counts ----------------------------------------------------------------------------------


def test_the_list_query_count_does_not_grow_with_the_data(browser_client, cast, django_assert_max_num_queries):
    client = browser_client(cast.viewer)
    make_budgets(cast, 2, prefix="A", submit=True)
    client.get("/budgets/")
    with django_assert_max_num_queries(9):
        assert html(client.get("/budgets/")).count("data-budget=") == 2
    make_budgets(cast, 20, prefix="B", submit=True)
    with django_assert_max_num_queries(9):
        assert html(client.get("/budgets/")).count("data-budget=") == 22


def test_the_detail_query_count_does_not_grow_with_the_data(
    browser_client, cast, approved, django_assert_max_num_queries
):
    client = browser_client(cast.lead)
    for _ in range(2):
        spend(approved, "materials", "1000.00", cast.lead)
    client.get(f"/budgets/{approved.pk}/")
    with django_assert_max_num_queries(13):
        assert client.get(f"/budgets/{approved.pk}/").status_code == 200
    for category in ("tech_development", "channel_promotion", "benefits_procurement", "emergency"):
        for _ in range(5):
            spend(approved, category, "1000.00", cast.lead)
    with django_assert_max_num_queries(13):
        page = html(client.get(f"/budgets/{approved.pk}/"))
    assert page.count('data-action="budget.expense"') == 22


def test_the_queue_query_count_does_not_grow_with_the_data(
    browser_client, cast, signers, django_assert_max_num_queries
):
    from campaigns.models import Kpi

    def grow(prefix: str, count: int) -> None:
        for budget in make_budgets(cast, count, prefix=prefix, submit=True):
            for n in range(3):
                Kpi.objects.create(campaign=budget.campaign, name=f"KPI {n}", target="100")
            signoff_record(budget=budget, signer=signers.marketing, role="marketing", decision="approve")

    client = browser_client(signers.finance)
    grow("Q", 1)
    client.get("/budgets/awaiting-my-signoff/")
    with django_assert_max_num_queries(13):
        assert html(client.get("/budgets/awaiting-my-signoff/")).count('class="card shadow-sm mb-4 queue-item"') == 1
    grow("R", 9)
    with django_assert_max_num_queries(13):
        page = html(client.get("/budgets/awaiting-my-signoff/"))
    assert page.count('class="card shadow-sm mb-4 queue-item"') == 10
