"""The risk pages (risks/views.py): access for every page and POST, the register with its badges, filters and
sort, the heat map and its links, a risk's page (acknowledge, alert history, reviews), the form, exposure,
exports, and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest
import time_machine
from django.urls import resolve

from campaigns.services import campaign_create
from core.models import Notification
from risks.models import Risk, RiskReview
from tests.risks.conftest import NOW, TODAY
from tests.risks.test_api_support import add_risk, make_register

pytestmark = pytest.mark.django_db

READERS = ("lead", "deputy", "member", "viewer", "executive")
READ_ONLY = ("viewer", "executive")


@pytest.fixture
def register(cast, campaign):
    return make_register(cast, campaign)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def html(response) -> str:
    return unescape(response.content.decode())


def risk_ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-risk="(\d+)"', response.content.decode())]


def read_urls(register) -> list[str]:
    campaign = register.red.campaign_id
    return [
        "/risks/",
        f"/risks/?campaign={campaign}",
        "/risks/matrix/",
        f"/risks/matrix/?campaign={campaign}",
        f"/risks/{register.red.pk}/",
        f"/risks/exposure/{campaign}/",
        "/risks/export.csv",
        f"/risks/export.xlsx?campaign={campaign}",
    ]


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", READERS)
def test_the_team_and_executives_read_every_risk_page(browser_client, cast, register, person):
    client = browser_client(getattr(cast, person))
    for url in read_urls(register):
        assert client.get(url).status_code == 200, url
    assert set(risk_ids(client.get(f"/risks/?campaign={register.red.campaign_id}"))) == {r.pk for r in register.ours}


def test_outsiders_get_404_on_every_page_of_a_risk_they_cannot_see(browser_client, cast, register):
    client = browser_client(cast.outsider)
    pk, campaign = register.red.pk, register.red.campaign_id
    for url in (
        f"/risks/{pk}/",
        f"/risks/{pk}/edit/",
        f"/risks/exposure/{campaign}/",
        f"/risks/new/?campaign={campaign}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/risks/{pk}/edit/",
        f"/risks/{pk}/acknowledge/",
        f"/risks/{pk}/review/",
        f"/risks/new/?campaign={campaign}",
    ):
        assert client.post(url, {"title": "x", "probability": 1, "impact": 1}).status_code == 404, url
    # Lists are simply empty of others' rows; the heat map of a hidden campaign is all zeros.
    assert risk_ids(client.get("/risks/")) == [register.other.pk]
    assert risk_ids(client.get(f"/risks/?campaign={campaign}")) == []
    page = html(client.get("/risks/"))
    assert "WD-2027" not in page and "Platform failure" not in page
    matrix = html(client.get(f"/risks/matrix/?campaign={campaign}"))
    assert 'data-total="0"' in matrix and "WD-2027" not in matrix
    exported = client.get(f"/risks/export.csv?campaign={campaign}").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(exported)))) == 1  # the header only
    register.red.refresh_from_db()
    assert register.red.title == "Platform failure at the peak" and register.red.acknowledged_at is None


@pytest.mark.parametrize("person", READ_ONLY)
def test_read_only_people_get_403_on_every_write(browser_client, cast, register, person):
    client = browser_client(getattr(cast, person))
    pk, campaign = register.red.pk, register.red.campaign_id
    assert client.get(f"/risks/{pk}/edit/").status_code == 403
    assert client.post(f"/risks/{pk}/edit/", {"title": "x"}).status_code == 403
    assert client.get(f"/risks/new/?campaign={campaign}").status_code == 403
    assert client.post(f"/risks/new/?campaign={campaign}", {"title": "x"}).status_code == 403
    review = {"reviewed_on": TODAY.isoformat(), "probability": 1, "impact": 1}
    assert client.post(f"/risks/{pk}/review/", review).status_code == 403
    assert client.post(f"/risks/{pk}/acknowledge/").status_code == 403
    register.red.refresh_from_db()
    assert (register.red.title, register.red.acknowledged_at) == ("Platform failure at the peak", None)
    assert not RiskReview.objects.exists()


@pytest.mark.parametrize("person", READ_ONLY)
def test_read_only_people_see_no_write_actions(browser_client, cast, register, person):
    client = browser_client(getattr(cast, person))
    page = html(client.get(f"/risks/{register.red.pk}/"))
    assert f"/risks/{register.red.pk}/edit/" not in page
    assert f"/risks/{register.red.pk}/review/" not in page
    assert 'id="acknowledge-button"' not in page
    assert "/risks/new/" not in html(client.get(f"/risks/?campaign={register.red.campaign_id}"))


def test_pages_need_a_login(client, register):
    for url in [*read_urls(register), f"/risks/{register.red.pk}/edit/", "/risks/new/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_writes_refuse_get(browser_client, cast, register):
    client = browser_client(cast.lead)
    for action in ("acknowledge", "review"):
        assert client.get(f"/risks/{register.red.pk}/{action}/").status_code == 405, action


def test_an_unknown_export_format_is_404(browser_client, cast, register):
    assert browser_client(cast.lead).get("/risks/export.pdf").status_code == 404


# --- Register --------------------------------------------------------------------------------------


def test_the_top_navigation_links_to_the_register(browser_client, cast, register):
    page = html(browser_client(cast.member).get("/risks/"))
    assert re.search(r'<a class="nav-link active" href="/risks/"[^>]*data-nav="risks">Risks</a>', page)


def test_alert_badges_name_the_level_and_the_days_left_in_text(browser_client, cast, register):
    page = html(browser_client(cast.member).get("/risks/"))
    badges = dict(re.findall(r'<tr data-risk="(\d+)".*?data-alert="\w+"[^>]*>([^<]+)</span>', page, re.S))
    assert badges == {
        str(register.red.pk): "Red · today",
        str(register.yellow.pk): "Yellow · 3 days",
        str(register.blue.pk): "Blue · 5 days",
        str(register.occurred.pk): "Red · occurred",
        str(register.calm.pk): "No alert",
        str(register.mitigated.pk): "No alert",
    }
    assert 'class="badge band-badge band-high" data-band="high">High · 15</span>' in page


def test_an_overdue_risk_says_how_many_days_overdue(browser_client, cast, campaign):
    risk = add_risk(campaign, cast.lead, title="Late", days=0)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        page = html(browser_client(cast.member).get(f"/risks/{risk.pk}/"))
    assert "Red · 2 days overdue" in page


def test_the_register_is_sorted_by_alert_level_then_score(browser_client, cast, register):
    ids = risk_ids(browser_client(cast.lead).get("/risks/"))
    assert ids == [
        register.red.pk, register.occurred.pk, register.yellow.pk, register.blue.pk, register.mitigated.pk,
        register.calm.pk,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alert_level=red", {"red", "occurred"}),
        ("band=high", {"red", "yellow", "occurred"}),
        ("status=monitoring", {"blue"}),
        ("status=live", {"red", "yellow", "blue", "calm", "occurred"}),
        ("category=market", {"yellow", "mitigated"}),
        ("owner=mine", {"red", "yellow", "occurred"}),
        ("probability=3&impact=4", {"yellow"}),
        ("alert_level=purple", {"red", "yellow", "blue", "calm", "occurred", "mitigated"}),  # ignored, and said so
    ],
)
def test_the_register_filters(browser_client, cast, register, query, expected):
    response = browser_client(cast.member).get(f"/risks/?campaign={register.red.campaign_id}&{query}")
    assert set(risk_ids(response)) == {getattr(register, name).pk for name in expected}


def test_a_bad_filter_value_is_reported_not_a_crash(browser_client, cast, register):
    page = html(browser_client(cast.member).get("/risks/?alert_level=purple&probability=9&campaign=abc"))
    assert "(ignored)" in page


def test_the_owner_filter_offers_me_and_the_owners(browser_client, cast, register):
    page = html(browser_client(cast.lead).get(f"/risks/?owner={cast.deputy.pk}"))
    assert '<option value="mine">Me</option>' in page
    assert f'<option value="{cast.deputy.pk}" selected>' in page
    assert set(risk_ids(browser_client(cast.lead).get(f"/risks/?owner={cast.deputy.pk}"))) == {register.blue.pk}


def test_htmx_filtering_returns_only_the_register_fragment(browser_client, cast, register):
    response = browser_client(cast.member).get("/risks/?alert_level=yellow", headers={"HX-Request": "true"})
    page = html(response)
    assert page.lstrip().startswith('<div id="register">') and "<nav" not in page.split("<table")[0]
    assert risk_ids(response) == [register.yellow.pk]
    assert "HX-Request" in response["Vary"]


def test_the_register_paginates(browser_client, cast, campaign):
    for n in range(27):
        Risk.objects.create(campaign=campaign, title=f"Bulk {n}", category="market", probability=1, impact=1)
    client = browser_client(cast.member)
    assert len(risk_ids(client.get("/risks/?status=open"))) == 25
    assert len(risk_ids(client.get("/risks/?status=open&page=2"))) == 2
    assert "status=open" in html(client.get("/risks/?status=open")).split('class="pagination')[1]


def test_empty_registers_say_what_to_do(browser_client, cast, campaign):
    assert "Record the first risk" in html(browser_client(cast.member).get("/risks/"))
    viewer_page = html(browser_client(cast.viewer).get("/risks/"))
    assert "Risks are recorded by the members of a campaign" in viewer_page and "/risks/new/" not in viewer_page
    assert "No risk matches these filters" in html(browser_client(cast.member).get("/risks/?band=critical"))


# --- Heat map --------------------------------------------------------------------------------------


def heat_cells(page: str) -> dict[tuple[int, int], tuple[int, str]]:
    found = re.findall(r'data-probability="(\d)" data-impact="(\d)" data-count="(\d+)">\s*<a href="([^"]+)"', page)
    return {(int(p), int(i)): (int(n), url) for p, i, n, url in found}


def test_the_heat_map_is_a_5_by_5_grid_with_probability_rows_from_5_down(browser_client, cast, register):
    page = html(browser_client(cast.member).get(f"/risks/matrix/?campaign={register.red.campaign_id}"))
    cells = heat_cells(page)
    assert len(cells) == 25
    order = re.findall(r'data-probability="(\d)" data-impact="(\d)"', page)
    assert order[:5] == [("5", str(i)) for i in range(1, 6)] and order[-1] == ("1", "5")
    assert {k: n for k, (n, _url) in cells.items() if n} == {(3, 5): 1, (3, 4): 1, (2, 4): 1, (1, 3): 1, (4, 3): 1}
    assert 'data-total="5"' in page
    assert 'class="heatmap-cell band-critical is-empty"' in page  # (5, 5): coloured by band, count 0


@pytest.mark.parametrize("scoped", [True, False])
def test_every_heat_map_cell_links_to_exactly_the_risks_it_counts(browser_client, cast, register, scoped):
    add_risk(register.red.campaign, cast.lead, title="Another 3×5", probability=3, impact=5, days=20)
    client = browser_client(cast.executive)
    campaign = register.red.campaign_id
    page = html(client.get(f"/risks/matrix/?campaign={campaign}" if scoped else "/risks/matrix/"))
    live = Risk.objects.filter(status__in=["open", "monitoring", "occurred"])
    if scoped:
        live = live.filter(campaign_id=campaign)
    for (p, i), (count, url) in heat_cells(page).items():
        assert f"probability={p}" in url and f"impact={i}" in url and "status=live" in url
        assert (f"campaign={campaign}" in url) is scoped
        expected = set(live.filter(probability=p, impact=i).values_list("pk", flat=True))
        assert count == len(expected)
        if count or (p, i) == (1, 1):
            assert set(risk_ids(client.get(url))) == expected, (p, i)


def test_the_heat_map_across_campaigns_counts_only_visible_risks(browser_client, cast, register):
    member_cells = heat_cells(html(browser_client(cast.member).get("/risks/matrix/")))
    assert member_cells[(3, 3)][0] == 0  # the other team's risk is not counted
    assert heat_cells(html(browser_client(cast.executive).get("/risks/matrix/")))[(3, 3)][0] == 1


def test_an_empty_heat_map_says_what_to_do(browser_client, cast, campaign):
    page = html(browser_client(cast.member).get("/risks/matrix/"))
    assert "every cell is 0" in page and len(heat_cells(page)) == 25


# --- One risk --------------------------------------------------------------------------------------


def test_the_risk_page_shows_every_field_and_the_alert_history(browser_client, cast, register):
    page = html(browser_client(cast.viewer).get(f"/risks/{register.red.pk}/"))
    for text in (
        "Platform failure at the peak",
        "Red · today",
        "3 · Possible (35 %)",
        "5 · Severe",
        "15 (High)",
        "1,500,000.00 CNY",
        "Active-active data centres",
        "Alert history",
        "Not acknowledged yet.",
    ):
        assert text in page, text  # fmt: skip
    assert re.search(r'data-event="red">.*?No alert</span> → <span[^>]*>Red</span>', page, re.S)


def test_notifications_link_to_the_risk_page(browser_client, cast, register):
    notification = Notification.objects.filter(object_type="risks.risk", object_id=register.red.pk).first()
    assert notification is not None and notification.url == f"/risks/{register.red.pk}/"
    assert resolve(notification.url).view_name == "risks:detail"
    assert browser_client(notification.recipient).get(notification.url).status_code == 200


@pytest.mark.parametrize(("person", "shown"), [("member", True), ("lead", True), ("deputy", True), ("viewer", False)])
def test_the_acknowledge_button_is_for_the_owner_and_the_campaigns_lead(browser_client, cast, register, person, shown):
    page = html(browser_client(getattr(cast, person)).get(f"/risks/{register.red.pk}/"))  # owned by the member
    assert ('id="acknowledge-button"' in page) is shown
    assert ("data-confirm=" in page) is shown


def test_a_member_who_is_not_the_owner_sees_no_acknowledge_button_and_gets_403(browser_client, cast, register):
    client = browser_client(cast.member)  # the blue risk is the deputy's
    assert 'id="acknowledge-button"' not in html(client.get(f"/risks/{register.blue.pk}/"))
    assert client.post(f"/risks/{register.blue.pk}/acknowledge/").status_code == 403


def test_acknowledging_from_the_page(browser_client, cast, register):
    client = browser_client(cast.member)
    response = client.post(f"/risks/{register.red.pk}/acknowledge/", follow=True)
    page = html(response)
    assert response.redirect_chain[-1][0] == f"/risks/{register.red.pk}/"
    assert "Alert acknowledged" in page and "Acknowledged by T-Member" in page
    assert 'id="acknowledge-button"' not in page
    register.red.refresh_from_db()
    assert register.red.acknowledged_by == cast.member
    again = html(client.post(f"/risks/{register.red.pk}/acknowledge/", follow=True))
    assert "already acknowledged" in again
    assert "has no alert to acknowledge" in html(
        browser_client(cast.lead).post(f"/risks/{register.calm.pk}/acknowledge/", follow=True)
    )


def test_no_acknowledge_button_without_an_alert(browser_client, cast, register):
    assert 'id="acknowledge-button"' not in html(browser_client(cast.lead).get(f"/risks/{register.calm.pk}/"))


def test_a_review_from_the_page_re_rates_and_shows_the_score_over_time(browser_client, cast, register):
    client = browser_client(cast.member)
    data = {"reviewed_on": TODAY.isoformat(), "probability": 2, "impact": 5, "notes": "Backup servers booked"}
    response = client.post(f"/risks/{register.red.pk}/review/", data)
    assert response.status_code == 302 and response["Location"] == f"/risks/{register.red.pk}/#reviews"
    register.red.refresh_from_db()
    assert register.red.score == 10
    page = html(client.get(f"/risks/{register.red.pk}/"))
    assert "Backup servers booked" in page and "3×5 → 2×5" in page
    trail = re.findall(r'class="score-point">.*?data-band="(\w+)">(\w+) · (\d+)</span>', page, re.S)
    assert trail == [("high", "High", "15"), ("high", "High", "10")]


def test_a_review_dated_in_the_future_is_refused_next_to_the_field(browser_client, cast, register):
    data = {"reviewed_on": (TODAY + dt.timedelta(days=1)).isoformat(), "probability": 2, "impact": 5}
    response = browser_client(cast.member).post(f"/risks/{register.red.pk}/review/", data)
    assert response.status_code == 400
    assert 'id="id_reviewed_on-error"' in html(response)
    assert not RiskReview.objects.exists()


# --- Form ------------------------------------------------------------------------------------------


def form_data(**extra) -> dict:
    return {
        "title": "Posters late from the printer",
        "category": "supply_chain",
        "description": "",
        "owner": "",
        "probability": "3",
        "impact": "4",
        "expected_date": (TODAY + dt.timedelta(days=2)).isoformat(),
        "status": "open",
        "contingency_plan": "Second printer on standby",
        "cost_impact": "¥120,000",
        "schedule_impact_days": "2",
        "task": "",
        "budget_line": "",
        **extra,
    }


def test_a_member_records_a_risk_through_the_form(browser_client, cast, campaign):
    client = browser_client(cast.member)
    assert client.get(f"/risks/new/?campaign={campaign.pk}").status_code == 200
    response = client.post(f"/risks/new/?campaign={campaign.pk}", form_data(owner=str(cast.member.pk)))
    risk = Risk.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/risks/{risk.pk}/"
    assert (risk.alert_level, risk.score, str(risk.cost_impact), risk.owner) == ("yellow", 12, "120000.00", cast.member)


def test_the_form_shows_errors_next_to_the_fields(browser_client, cast, campaign):
    response = browser_client(cast.member).post(
        f"/risks/new/?campaign={campaign.pk}", form_data(title="", probability="7", owner=str(cast.outsider.pk))
    )
    assert response.status_code == 400
    page = html(response)
    for field in ("title", "probability", "owner"):
        assert f'id="id_{field}-error"' in page, field
    assert "The owner must be a lead, deputy or member" in page
    assert not Risk.objects.exists()


def test_editing_a_risk_keeps_its_values_and_moves_the_alert(browser_client, cast, register):
    client = browser_client(cast.member)
    page = html(client.get(f"/risks/{register.calm.pk}/edit/"))
    assert 'value="Data-pack supply"' in page
    data = form_data(title="Data-pack supply", category="supply_chain", probability="1", impact="3",
                     expected_date=(TODAY + dt.timedelta(days=1)).isoformat(), owner=str(cast.lead.pk))  # fmt: skip
    assert client.post(f"/risks/{register.calm.pk}/edit/", data).status_code == 302
    register.calm.refresh_from_db()
    assert register.calm.alert_level == "yellow"


def test_new_risk_without_a_campaign_offers_the_campaigns_one_may_write(browser_client, cast, register):
    page = html(browser_client(cast.member).get("/risks/new/"))
    assert f"/risks/new/?campaign={register.red.campaign_id}" in page
    assert f"?campaign={register.other_campaign.pk}" not in page
    assert "You cannot add risks to any campaign" in html(browser_client(cast.viewer).get("/risks/new/"))


# --- Exposure --------------------------------------------------------------------------------------


def test_the_exposure_panel_is_seeded_so_the_numbers_repeat(browser_client, cast, register):
    client = browser_client(cast.viewer)
    url = f"/risks/exposure/{register.red.campaign_id}/"
    first, second = html(client.get(url)), html(client.get(url))
    p90 = re.search(r'data-figure="cost-p90">([^<]+)<', first).group(1)
    assert p90 == re.search(r'data-figure="cost-p90">([^<]+)<', second).group(1)
    assert "10,000 trials" in first and 'id="exposure-data" type="application/json"' in first
    assert "/static/risks/exposure.js" in first and "/static/vendor/chartjs/chart.umd.min.js" in first
    assert "No budget yet" in first
    assert f'data-risk="{register.red.pk}"' in first


def test_risk_pages_have_no_inline_scripts(browser_client, cast, register):
    client = browser_client(cast.lead)
    for url in read_urls(register)[:6]:
        for tag in re.findall(r"<script[^>]*>", html(client.get(url))):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_an_empty_exposure_panel_says_what_to_do(browser_client, cast, campaign):
    page = html(browser_client(cast.member).get(f"/risks/exposure/{campaign.pk}/"))
    assert "No live risks to simulate" in page and f"/risks/new/?campaign={campaign.pk}" in page


# --- Exports ---------------------------------------------------------------------------------------

HEADER = [
    "Campaign", "Title", "Category", "Owner", "Probability", "Impact", "Score", "Band", "Alert level",
    "Expected date", "Status", "Cost impact (CNY)", "Schedule impact (days)", "Contingency plan",
]  # fmt: skip


def test_the_csv_export_has_a_bom_and_the_filtered_sorted_register(browser_client, cast, register):
    response = browser_client(cast.member).get("/risks/export.csv?alert_level=red")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"] == 'attachment; filename="risk-register-20270301.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1] == ["WD-2027", "Platform failure at the peak", "Technical", "T-Member", "3", "5", "15", "High",
                       "Red", "2027-03-01", "Open", "1500000.00", "", "Active-active data centres"]  # fmt: skip
    assert [row[1] for row in rows[1:]] == ["Platform failure at the peak", "Call-centre overload"]


def test_exported_text_cannot_become_a_spreadsheet_formula(browser_client, cast, campaign):
    add_risk(campaign, cast.lead, title='=HYPERLINK("http://evil")', contingency_plan="+1")
    client = browser_client(cast.member)
    rows = list(csv.reader(io.StringIO(client.get("/risks/export.csv").content.decode("utf-8-sig"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")' and rows[1][13] == "'+1"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/risks/export.xlsx").content)).active
    assert sheet["B2"].data_type == "s" and sheet["B2"].value == '\'=HYPERLINK("http://evil")'


def test_the_xlsx_export_opens_with_the_same_rows(browser_client, cast, register):
    from openpyxl import load_workbook

    response = browser_client(cast.executive).get(f"/risks/export.xlsx?campaign={register.red.campaign_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "WD-2027-risk-register-20270301.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 7
    first = rows[1]
    assert first[:9] == ("WD-2027", "Platform failure at the peak", "Technical", "T-Member", 3, 5, 15, "High", "Red")
    assert first[9].date() == TODAY and first[11] == 1500000


# --- Query counts ----------------------------------------------------------------------------------


def grow(cast, campaigns: int) -> None:
    for n in range(campaigns):
        campaign = campaign_create(
            actor=cast.lead, team=cast.team, code=f"Q-{n}", name=f"Q {n}", start_date=dt.date(2027, 2, 1),
            end_date=dt.date(2027, 3, 31), time_zone="Europe/Berlin" if n % 2 else "Asia/Shanghai",
        )  # fmt: skip
        for days, owner, p in ((0, cast.member, 5), (3, cast.deputy, 3), (None, None, 1)):
            add_risk(campaign, cast.lead, title=f"Q{n}-{days}", days=days, owner=owner, probability=p)


# Session and user (2), the requester's roles and teams (2), the inbox badge on HTML pages (1), then: the register
# (campaign options, owner options, count, page: 4); the heat map (campaign options, cell counts, alert counts: 3);
# the export (campaign options, owner options, rows: 3).
PAGE_BOUNDS = {"/risks/": 9, "/risks/?status=live&owner=mine": 9, "/risks/matrix/": 8, "/risks/export.csv": 7}


@pytest.mark.parametrize("campaigns", [1, 10])
@pytest.mark.parametrize("url", list(PAGE_BOUNDS))
def test_list_pages_run_a_constant_number_of_queries(browser_client, cast, django_assert_max_num_queries, campaigns,
                                                     url):  # fmt: skip
    grow(cast, campaigns)
    client = browser_client(cast.member)
    with django_assert_max_num_queries(PAGE_BOUNDS[url]):
        response = client.get(url)
    assert response.status_code == 200
    if url == "/risks/":
        assert len(risk_ids(response)) == min(campaigns * 3, 25)


@pytest.mark.parametrize(
    "url",
    [
        "/risks/?campaign=99999999999999999999999",
        "/risks/?owner=99999999999999999999999",
        "/risks/matrix/?campaign=99999999999999999999999",
        "/risks/export.csv?campaign=-1&owner=x",
        "/risks/new/?campaign=99999999999999999999999",
        "/risks/exposure/99999999999999999999999/",
        "/risks/99999999999999999999999/",
    ],
)
def test_absurd_ids_are_ignored_or_not_found_never_a_crash(browser_client, cast, register, url):
    # A filter with an absurd id is ignored (the page shows); a page of an absurd id, or a new risk for an absurd
    # campaign, does not exist.
    expected = 404 if re.fullmatch(r"/risks/(exposure/)?9+/|/risks/new/\?campaign=9+", url) else 200
    assert browser_client(cast.lead).get(url).status_code == expected
