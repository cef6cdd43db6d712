"""Channel returns (SPEC 10.6, issue 21): the figures on a hand-made campaign (computed by hand below), division by
zero, who may read the API and the page and who may propose a re-balance, constant queries as channels and members
grow, and the re-balance draft (moved amounts, the approved version untouched, clean refusals)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Budget, BudgetLine, Expense
from budgets.services import budget_create, budget_submit, expense_record, signoff_record
from campaigns.models import Channel
from core.models import AuditEntry
from core.roles import OrgRole
from dashboards import spend_guide
from members.models import Member
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 2, 20)
_ids = itertools.count(1)


@pytest.fixture
def approvers(db):
    return {
        "finance": UserFactory(username="cr-finance", roles=[OrgRole.FINANCE_APPROVER]),
        "marketing": UserFactory(username="cr-marketing", roles=[OrgRole.MARKETING_APPROVER]),
        "tech": UserFactory(username="cr-tech", roles=[OrgRole.TECH_APPROVER]),
    }


def approve(budget, approvers):
    budget_submit(budget=budget, actor=budget.campaign.lead)
    for role, user in approvers.items():
        signoff_record(budget=budget, signer=user, role=role, decision="approve")
    budget.refresh_from_db()
    assert budget.status == "approved"
    return budget


def members(campaign, channel, *, n: int, paying: int) -> None:
    """``n`` members from ``channel``, the first ``paying`` of them paying 50.00 a year (still basic tier)."""
    Member.objects.bulk_create(
        Member(external_id=f"CR-{next(_ids)}", name="會員", source_campaign=campaign, source_channel=channel,
               annual_fee=Decimal("50.00") if i < paying else Decimal("0.00"))
        for i in range(n)
    )  # fmt: skip


@pytest.fixture
def world(cast, campaign, approvers):
    """Four channels, an approved budget, expenses and members:

    ============  =========  ==========  =======  ======  =============  ==================
    channel       type       line (CNY)  spent    new     paying         cost / paying
    ============  =========  ==========  =======  ======  =============  ==================
    App           app_push   3,000,000   900,000  30      9              100,000.00
    SMS           sms        2,000,000   400,000  20      2              200,000.00
    H5            content    1,000,000   100,000  5       0              — (nobody to divide by)
    Search        search     —           —        0       0              —
    (no channel)             tech 8 M, benefits 2 M, emergency 3 M; 2,000,000 spent on tech; 4 members, 1 paying
    ============  =========  ==========  =======  ======  =============  ==================
    """
    channels = {
        key: Channel.objects.create(campaign=campaign, type=kind, name=name)
        for key, kind, name in (("app", "app_push", "App"), ("sms", "sms", "SMS"), ("h5", "content", "H5"),
                                ("search", "search", "Search"))
    }  # fmt: skip
    lines = [
        {"category": "tech_development", "amount": "8000000.00"},
        {"category": "channel_promotion", "amount": "3000000.00", "channel": channels["app"].pk},
        {"category": "channel_promotion", "amount": "2000000.00", "channel": channels["sms"].pk},
        {"category": "channel_promotion", "amount": "1000000.00", "channel": channels["h5"].pk},
        {"category": "benefits_procurement", "amount": "2000000.00"},
        {"category": "emergency", "kind": "flexible", "amount": "3000000.00"},
    ]
    budget = approve(budget_create(actor=cast.lead, campaign=campaign, total="20000000.00", lines=lines), approvers)
    by_line = {(line.category, line.channel_id): line for line in budget.lines.all()}
    promotion = "channel_promotion"
    for key, amount in (((promotion, channels["app"].pk), "600000.00"), ((promotion, channels["app"].pk), "300000.00"),
                        ((promotion, channels["sms"].pk), "400000.00"), ((promotion, channels["h5"].pk), "100000.00"),
                        (("tech_development", None), "2000000.00")):  # fmt: skip
        expense_record(line=by_line[key], actor=cast.lead, amount=amount, date=DAY, description="Spend")
    members(campaign, channels["app"], n=30, paying=9)
    members(campaign, channels["sms"], n=20, paying=2)
    members(campaign, channels["h5"], n=5, paying=0)
    members(campaign, None, n=4, paying=1)
    return {"budget": budget, "channels": channels}


def api_url(campaign) -> str:
    return f"/api/v1/campaigns/{campaign.pk}/channel-returns/"


def page_url(campaign) -> str:
    return reverse("campaigns:channel_returns", args=[campaign.pk])


def rebalance_url(campaign) -> str:
    return reverse("campaigns:channel_returns_rebalance", args=[campaign.pk])


# --- the figures ------------------------------------------------------------------------------------------------


def test_the_figures_per_channel_are_the_hand_computed_ones(api, cast, campaign, world):
    body = api(cast.lead).get(api_url(campaign)).json()
    rows = {row["name"]: row for row in body["channels"]}
    assert rows["App"] == {
        "id": world["channels"]["app"].pk, "name": "App", "type": "app_push", "group": "core_channels",
        "spent": "900000.00", "budgeted": "3000000.00", "members_new": 30, "members_paid": 9,
        "cost_per_member": "30000.00",  # 900,000 / 30
        "cost_per_paid_member": "100000.00",  # 900,000 / 9
    }  # fmt: skip
    assert (rows["SMS"]["spent"], rows["SMS"]["cost_per_member"], rows["SMS"]["cost_per_paid_member"]) == (
        "400000.00", "20000.00", "200000.00"  # 400,000 / 20 and / 2
    )  # fmt: skip
    assert rows["H5"]["group"] == "content" and rows["H5"]["members_paid"] == 0
    assert body["unattributed"] == {"spent": "2000000.00", "budgeted": "13000000.00", "members_new": 4,
                                    "members_paid": 1}  # fmt: skip
    assert (body["spent_total"], body["budgeted_total"]) == ("3400000.00", "19000000.00")
    assert body["plan"] == {"id": world["budget"].pk, "version": 1, "status": "approved"}
    assert body["open_version"] is None


def test_nothing_to_divide_by_is_null_not_an_error(api, cast, campaign, world):
    rows = {row["name"]: row for row in api(cast.lead).get(api_url(campaign)).json()["channels"]}
    # Spend but no paying member: the cost per paying member is null; per member it is 100,000 / 5.
    assert rows["H5"]["cost_per_paid_member"] is None and rows["H5"]["cost_per_member"] == "20000.00"
    # Neither spend nor members: both null, and spend is zero.
    assert rows["Search"] == {**rows["Search"], "spent": "0.00", "members_new": 0, "cost_per_member": None,
                              "cost_per_paid_member": None}  # fmt: skip


def test_the_shares_against_the_4321_guide_with_notes(api, cast, campaign, world):
    groups = {g["group"]: g for g in api(cast.lead).get(api_url(campaign)).json()["groups"]}
    assert list(groups) == ["core_channels", "content", "tools_and_data", "reserve", "outside"]
    # Spent 3.4 M: core 1.3 M (App + SMS), content 0.1 M (H5), tools 2 M (tech), reserve 0, outside 0.
    # Planned 19 M: core 5 M, content 1 M, tools 8 M, reserve 3 M, outside (benefits) 2 M.
    expected = {
        "core_channels": ("40.0", "1300000.00", "38.2", "5000000.00", "26.3"),
        "content": ("30.0", "100000.00", "2.9", "1000000.00", "5.3"),
        "tools_and_data": ("20.0", "2000000.00", "58.8", "8000000.00", "42.1"),
        "reserve": ("10.0", "0.00", "0.0", "3000000.00", "15.8"),
        "outside": (None, "0.00", "0.0", "2000000.00", "10.5"),
    }
    for code, (guide, spent, share, budgeted, planned) in expected.items():
        g = groups[code]
        assert (g["guide"], g["spent"], g["share"], g["budgeted"], g["planned_share"]) == (
            guide, spent, share, budgeted, planned
        ), code  # fmt: skip
    core, content, tools, reserve, outside = (groups[c]["note"] for c in expected)
    # Core: the plan is 13.7 points under 40 %; the spend (1.8 under) is within 5 points, so no second sentence.
    assert core == "Version 1 of the budget puts 26.3 % here, 13.7 points below the guide's 40 %."
    assert "24.7 points below" in content and "Spending so far puts 2.9 % here, 27.1 points below" in content
    assert "22.1 points above" in tools and "38.8 points above" in tools
    # The reserve: the plan keeps 5.8 points more than the guide; spending none of it is what a reserve is for.
    assert reserve == "Version 1 of the budget puts 15.8 % here, 5.8 points above the guide's 10 %."
    assert outside.startswith("10.5 % of the plan goes to lines the guide has no part for")


def test_only_paying_members_count_as_paid_whatever_their_tier(api, cast, campaign, world):
    # The world's paying members pay 50.00: basic tier, yet paying (annual_fee > 0).
    assert set(Member.objects.filter(annual_fee__gt=0).values_list("tier", flat=True)) == {"basic"}
    rows = {row["name"]: row for row in api(cast.lead).get(api_url(campaign)).json()["channels"]}
    assert rows["App"]["members_paid"] == 9


def test_members_and_spend_of_another_campaign_do_not_count(api, cast, campaign, world):
    other = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-OTHER", start_date=dt.date(2027, 2, 10),
                            end_date=dt.date(2027, 3, 15))  # fmt: skip
    members(other, None, n=7, paying=7)
    body = api(cast.lead).get(api_url(campaign)).json()
    assert body["unattributed"]["members_new"] == 4


def test_the_spend_guide_maps_every_category_and_channel_type():
    from budgets.models import LineCategory
    from campaigns.models import ChannelType

    for category in LineCategory.values:
        assert spend_guide.group_of_line(category, None) in spend_guide.GROUPS
        for kind in ChannelType.values:
            assert spend_guide.group_of_line(category, kind) in spend_guide.GROUPS
    assert spend_guide.group_of_line("emergency", "app_push") == "reserve"
    assert spend_guide.group_of_line("materials", "sms") == "content"
    assert spend_guide.group_of_line("channel_promotion", "live") == "content"
    assert spend_guide.group_of_line("benefits_procurement", None) == "outside"
    assert spend_guide.group_of_line("benefits_procurement", "partner") == "core_channels"
    assert sum(share for _c, _l, share in spend_guide.GUIDE if share is not None) == 100


# --- who may read -----------------------------------------------------------------------------------------------


def test_api_access_owner_teammate_outsider_admin(api, cast, campaign, world):
    for person in (cast.lead, cast.deputy, cast.member, cast.viewer, cast.executive, cast.admin):
        response = api(person).get(api_url(campaign))
        assert response.status_code == 200, person
        assert response.json()["spent_total"] == "3400000.00"
    assert api(cast.outsider).get(api_url(campaign)).status_code == 404
    assert api().get(api_url(campaign)).status_code == 401
    assert api(cast.admin).get("/api/v1/campaigns/999999/channel-returns/").status_code == 404


def test_page_access_and_what_it_shows(browser_client, client, cast, campaign, world):
    lead_page = browser_client(cast.lead).get(page_url(campaign))
    assert lead_page.status_code == 200
    html = lead_page.content.decode()
    assert 'data-tab="channel_returns"' in html and "Returns per channel" in html
    assert 'data-figure="cost_per_paid_member">100,000.00' in html
    assert 'data-note="core_channels"' in html and 'class="target-mark target-40"' in html
    assert "style=" not in html.split("<main", 1)[-1].split("</main>")[0]  # the CSP forbids inline styles
    assert "Propose re-balance" in html and rebalance_url(campaign) in html
    client.logout()
    viewer_page = browser_client(cast.viewer).get(page_url(campaign))
    assert viewer_page.status_code == 200
    assert rebalance_url(campaign) not in viewer_page.content.decode()  # read-only: no button
    client.logout()
    assert browser_client(cast.admin).get(page_url(campaign)).status_code == 200
    client.logout()
    assert browser_client(cast.outsider).get(page_url(campaign)).status_code == 404


def test_the_empty_state_says_what_to_do_next(browser_client, api, cast, campaign):
    Channel.objects.create(campaign=campaign, type="sms", name="SMS")
    html = browser_client(cast.lead).get(page_url(campaign)).content.decode()
    assert "record expenses or approve a budget to see returns" in html.lower()
    assert "No budget yet to compare with the guide." in html
    body = api(cast.lead).get(api_url(campaign)).json()
    assert body["plan"] is None and body["spent_total"] == "0.00"
    assert all(g["share"] is None and g["planned_share"] is None and g["note"] == "" for g in body["groups"])
    assert body["rebalance"] == {"possible": False, "from_channel": None, "to_channel": None, "amount": None,
                                 "reason": "There is no approved budget to re-balance yet."}  # fmt: skip


def test_the_page_in_chinese(browser_client, cast, campaign, world):
    cast.lead.language = "zh-hans"
    cast.lead.save()
    client = browser_client(cast.lead)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(page_url(campaign)).content.decode()
    assert 'lang="zh-hans"' in html
    assert 'data-figure="cost_per_paid_member">100,000.00<' in html  # amounts grouped as Chinese finance writes them


# --- constant queries -------------------------------------------------------------------------------------------


def _grow(campaign, lead, budget, k: int) -> None:
    """``k`` more channels, each with a line in the (approved) budget, an expense and members."""
    for _ in range(k):
        n = next(_ids)
        channel = Channel.objects.create(campaign=campaign, type="social", name=f"Social {n}")
        line = BudgetLine.objects.create(budget=budget, category="channel_promotion", amount=Decimal(1000),
                                         channel=channel)  # fmt: skip
        Expense.objects.create(line=line, amount=Decimal(100), date=DAY, description="x", recorded_by=lead)
        members(campaign, channel, n=3, paying=1)


def test_the_query_count_is_constant_as_channels_and_members_grow(api, cast, campaign, world):
    client = api(cast.lead)
    client.get(api_url(campaign))  # warm caches (content types, the session's principal)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(api_url(campaign)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    _grow(campaign, cast.lead, world["budget"], 12)
    large = count()
    # The campaign, its channels, the budget versions, expenses by line, lines by channel, members by channel.
    assert small == large == 6, (small, large)


def test_the_page_query_count_is_constant(browser_client, cast, campaign, world, settings):
    settings.PAGE_CACHE = False  # the page's own queries, every time (not a second look answered from the cache)
    client = browser_client(cast.lead)
    client.get(page_url(campaign))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page_url(campaign)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    _grow(campaign, cast.lead, world["budget"], 12)
    assert count() == small


# --- re-balance -------------------------------------------------------------------------------------------------


def test_the_proposal_in_the_api(api, cast, campaign, world):
    proposal = api(cast.viewer).get(api_url(campaign)).json()["rebalance"]
    # App costs 100,000 per paying member, SMS 200,000: 10 % of SMS's 2,000,000 line moves to App.
    assert proposal == {"possible": True, "from_channel": world["channels"]["sms"].pk,
                        "to_channel": world["channels"]["app"].pk, "amount": "200000.00", "reason": ""}  # fmt: skip


def test_rebalance_creates_a_draft_revision_and_leaves_the_approved_one(browser_client, cast, campaign, world):
    approved = world["budget"]
    before = sorted(approved.lines.values_list("category", "channel_id", "amount"))
    response = browser_client(cast.lead).post(rebalance_url(campaign))
    draft = Budget.objects.get(campaign=campaign, version=2)
    assert response.status_code == 302 and response["Location"] == reverse("budgets:edit", args=[draft.pk])
    assert draft.status == "draft" and draft.revised_from_id == approved.pk and draft.total == approved.total
    amounts = {line.channel_id: line.amount for line in draft.lines.filter(channel__isnull=False)}
    channels = world["channels"]
    assert amounts == {channels["app"].pk: Decimal("3200000.00"), channels["sms"].pk: Decimal("1800000.00"),
                       channels["h5"].pk: Decimal("1000000.00")}  # fmt: skip
    assert sum(line.amount for line in draft.lines.all()) == Decimal("19000000.00")
    assert "Proposed re-balance by channel returns" in draft.note
    approved.refresh_from_db()
    assert approved.status == "approved"
    assert sorted(approved.lines.values_list("category", "channel_id", "amount")) == before
    assert not draft.signoffs.exists()  # the three-way sign-off starts over when the lead submits it
    assert AuditEntry.objects.filter(action="budget.rebalance_proposed", object_id=str(draft.pk)).exists()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "moves 200,000.00 CNY from SMS to App" in message


def test_deputy_and_admin_may_propose(browser_client, client, cast, campaign, world):
    assert browser_client(cast.deputy).post(rebalance_url(campaign)).status_code == 302
    assert Budget.objects.filter(campaign=campaign, status="draft").count() == 1
    Budget.objects.filter(campaign=campaign, status="draft").delete()
    client.logout()
    assert browser_client(cast.admin).post(rebalance_url(campaign)).status_code == 302
    assert Budget.objects.filter(campaign=campaign, status="draft").count() == 1


def test_read_only_teammates_get_403_and_outsiders_404(browser_client, client, cast, campaign, world, approvers):
    # An approver who signed the budget reads the campaign (403); one who signed nothing of it does not (404).
    for person, status in ((cast.member, 403), (cast.viewer, 403), (cast.executive, 403),
                           (approvers["finance"], 403), (cast.finance, 404), (cast.outsider, 404)):  # fmt: skip
        client.logout()
        assert browser_client(person).post(rebalance_url(campaign)).status_code == status, person
    client.logout()
    assert client.post(rebalance_url(campaign)).status_code == 302  # to the login page
    assert browser_client(cast.lead).get(rebalance_url(campaign)).status_code == 405
    assert Budget.objects.filter(campaign=campaign).count() == 1


def test_a_second_proposal_is_refused_while_the_first_is_a_draft(browser_client, cast, campaign, world):
    client = browser_client(cast.lead)
    client.post(rebalance_url(campaign))
    response = client.post(rebalance_url(campaign))
    assert response.status_code == 302 and response["Location"] == page_url(campaign)
    assert "Version 2 of the budget is already a draft" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Budget.objects.filter(campaign=campaign).count() == 2
    page = client.get(page_url(campaign)).content.decode()
    assert 'data-open-version="2"' in page and rebalance_url(campaign) not in page


def test_refused_while_a_version_is_in_review(browser_client, cast, campaign, world):
    from budgets.services import budget_revise

    draft = budget_revise(budget=world["budget"], actor=cast.lead)
    budget_submit(budget=draft, actor=cast.lead)
    response = browser_client(cast.lead).post(rebalance_url(campaign))
    assert response.status_code == 302
    assert "Version 2 of the budget is in review" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Budget.objects.filter(campaign=campaign).count() == 2


def test_nothing_moves_with_fewer_than_two_channels_with_paying_members(browser_client, api, cast, campaign, world):
    Member.objects.filter(source_channel=world["channels"]["sms"]).update(annual_fee=Decimal(0))
    proposal = api(cast.lead).get(api_url(campaign)).json()["rebalance"]
    assert proposal["possible"] is False and "fewer than two channels" in proposal["reason"]
    response = browser_client(cast.lead).post(rebalance_url(campaign))
    assert response.status_code == 302 and response["Location"] == page_url(campaign)
    assert "fewer than two channels" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Budget.objects.filter(campaign=campaign).count() == 1


def test_a_new_line_for_the_best_channel_when_the_approved_budget_has_none(browser_client, cast, campaign, world):
    # The best channel's spend sits on a line of a superseded version: the draft gives it a line of its own.
    social = Channel.objects.create(campaign=campaign, type="social", name="Social")
    old = Budget.objects.create(campaign=campaign, version=0, total=Decimal(1000), status="superseded")
    line = BudgetLine.objects.create(budget=old, category="channel_promotion", amount=Decimal(1000), channel=social)
    Expense.objects.create(line=line, amount=Decimal(100), date=DAY, description="x")
    members(campaign, social, n=10, paying=10)  # 10.00 per paying member: the best
    browser_client(cast.lead).post(rebalance_url(campaign))
    draft = Budget.objects.get(campaign=campaign, status="draft")
    added = draft.lines.get(channel=social)
    # The worst with a line to give is SMS (200,000 per paying member): 10 % of 2,000,000.
    assert (added.category, added.kind, added.amount) == ("channel_promotion", "flexible", Decimal("200000.00"))
    assert draft.lines.get(channel=world["channels"]["sms"]).amount == Decimal("1800000.00")


# --- a month's returns ------------------------------------------------------------------------------------------


def dated_members(campaign, channel, joined: dt.date | None, *, n: int, paying: int) -> None:
    """``n`` members from ``channel`` who joined on ``joined``, the first ``paying`` of them paying 50.00 a year."""
    Member.objects.bulk_create(
        Member(external_id=f"CR-{next(_ids)}", name="會員", source_campaign=campaign, source_channel=channel,
               joined_at=joined, annual_fee=Decimal("50.00") if i < paying else Decimal("0.00"))
        for i in range(n)
    )  # fmt: skip


@pytest.fixture
def months(cast, world):
    """Around February 2027 (the world's expenses are dated 20 Feb; its members have no join date): App spends
    1,000 on 31 Jan and 2,000 on 1 Mar, SMS 500 on 1 Feb and 700 on 28 Feb; App's members join on 31 Jan (1),
    1 Feb (2, 1 paying), 28 Feb (3, 2 paying) and 1 Mar (4, all paying); SMS's on 15 Feb (5, 1 paying)."""
    campaign, channels = world["budget"].campaign, world["channels"]
    by_channel = {line.channel_id: line for line in world["budget"].lines.filter(channel__isnull=False)}
    for key, amount, day in (
        ("app", "1000.00", dt.date(2027, 1, 31)),
        ("app", "2000.00", dt.date(2027, 3, 1)),
        ("sms", "500.00", dt.date(2027, 2, 1)),
        ("sms", "700.00", dt.date(2027, 2, 28)),
    ):
        expense_record(line=by_channel[channels[key].pk], actor=cast.lead, amount=amount, date=day, description="x")
    for key, day, n, paying in (("app", dt.date(2027, 1, 31), 1, 0), ("app", dt.date(2027, 2, 1), 2, 1),
                                ("app", dt.date(2027, 2, 28), 3, 2), ("app", dt.date(2027, 3, 1), 4, 4),
                                ("sms", dt.date(2027, 2, 15), 5, 1)):  # fmt: skip
        dated_members(campaign, channels[key], day, n=n, paying=paying)
    return world


def test_parse_month():
    from core.errors import ApplicationError
    from dashboards.channel_returns import Month, parse_month

    assert parse_month(None) is None and parse_month("") is None and parse_month("  ") is None
    assert parse_month(" 2027-02\n").label == "2027-02"  # spaces around it are forgiven
    month = parse_month("2027-02")
    assert month == Month(first=dt.date(2027, 2, 1), next_first=dt.date(2027, 3, 1), label="2027-02")
    assert parse_month("2026-12").next_first == dt.date(2027, 1, 1)
    assert parse_month("2000-01").label == "2000-01" and parse_month("2100-12").next_first == dt.date(2101, 1, 1)
    for bad in ("2026-13", "2026-00", "abc", "1999-01", "2101-01", "2026-1", "2026-011", "2026/11", "2026-11-01",
                "２０２６-１１", "\x00"):  # fmt: skip
        with pytest.raises(ApplicationError) as caught:
            parse_month(bad)
        assert caught.value.errors == {"month": ["Give a month as YYYY-MM, e.g. 2026-11."]}, bad


def test_a_month_counts_only_its_expenses_and_members(api, cast, campaign, months):
    client = api(cast.lead)
    february = client.get(api_url(campaign), {"month": "2027-02"}).json()
    rows = {row["name"]: row for row in february["channels"]}
    # App: 900,000 on 20 Feb, not the 1,000 of 31 Jan nor the 2,000 of 1 Mar; members of 1 and 28 Feb only.
    assert (rows["App"]["spent"], rows["App"]["members_new"], rows["App"]["members_paid"]) == ("900000.00", 5, 3)
    assert rows["App"]["cost_per_paid_member"] == "300000.00"  # 900,000 / 3
    # SMS: 400,000 + 500 (1 Feb) + 700 (28 Feb); the world's members have no join date, so only the 5 of 15 Feb.
    assert (rows["SMS"]["spent"], rows["SMS"]["members_new"], rows["SMS"]["members_paid"]) == ("401200.00", 5, 1)
    assert rows["H5"]["members_new"] == 0 and rows["H5"]["spent"] == "100000.00"
    assert february["unattributed"] == {"spent": "2000000.00", "budgeted": "13000000.00", "members_new": 0,
                                        "members_paid": 0}  # fmt: skip
    assert february["spent_total"] == "3401200.00" and february["month"] == "2027-02"
    # The plan stays whole.
    assert february["budgeted_total"] == "19000000.00" and rows["App"]["budgeted"] == "3000000.00"
    january = {row["name"]: row for row in client.get(api_url(campaign), {"month": "2027-01"}).json()["channels"]}
    assert (january["App"]["spent"], january["App"]["members_new"], january["SMS"]["spent"]) == ("1000.00", 1, "0.00")
    march = client.get(api_url(campaign), {"month": "2027-03"}).json()
    assert {row["name"]: row for row in march["channels"]}["App"]["members_paid"] == 4
    assert march["spent_total"] == "2000.00"
    # The whole campaign: everything, members without a join date too.
    whole = client.get(api_url(campaign)).json()
    assert whole["month"] is None and whole["spent_total"] == "3404200.00"
    assert {row["name"]: row for row in whole["channels"]}["App"]["members_new"] == 40
    assert client.get(api_url(campaign), {"month": ""}).json()["month"] is None


def test_a_months_notes_name_the_month(api, cast, campaign, months):
    groups = {g["group"]: g for g in api(cast.lead).get(api_url(campaign), {"month": "2027-02"}).json()["groups"]}
    assert "Spending in 2027-02 puts" in groups["content"]["note"]
    assert "Spending so far" not in groups["content"]["note"]
    empty = api(cast.lead).get(api_url(campaign), {"month": "2026-11"}).json()
    assert empty["spent_total"] == "0.00" and all(g["share"] is None for g in empty["groups"])


@pytest.mark.parametrize("bad", ["2026-13", "abc", "1999-01", "2026-00", "<script>", "9" * 5000])
def test_a_malformed_month_is_a_400_on_month(api, cast, campaign, world, bad):
    response = api(cast.lead).get(api_url(campaign), {"month": bad})
    assert response.status_code == 400
    assert response.json() == {"month": ["Give a month as YYYY-MM, e.g. 2026-11."]}


def test_a_malformed_month_does_not_reveal_a_campaign_to_outsiders(api, cast, campaign, world):
    assert api(cast.outsider).get(api_url(campaign), {"month": "abc"}).status_code == 404


def test_the_page_for_a_month(browser_client, cast, campaign, months):
    import time_machine

    with time_machine.travel(dt.datetime(2027, 3, 8, 4, 0, tzinfo=dt.UTC), tick=False):
        response = browser_client(cast.lead).get(page_url(campaign), {"month": "2027-02"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-month="2027-02"' in html and 'data-window="2027-02"' in html and "Showing Feb 2027" in html
    assert '<select class="form-select" name="month" id="returns-month">' in html
    # From the campaign's start month (February) to this month (March) in its time zone, newest first.
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)
    assert options == [("", "", "Whole campaign"), ("2027-03", "", "Mar 2027"), ("2027-02", " selected", "Feb 2027")]
    assert 'data-figure="cost_per_paid_member">300,000.00' in html  # App: 900,000 / 3 paying members in February
    assert "Spending in 2027-02 puts" in html
    assert '<input type="hidden" name="month" value="2027-02">' in html
    assert 'data-proposal-month="2027-02"' in html
    # A month without spend says so, and where to go instead.
    empty = browser_client(cast.lead).get(page_url(campaign), {"month": "2026-11"}).content.decode()
    assert "No spend recorded in Nov 2026, so there are no returns to compare for that month." in empty
    assert f'<a href="{page_url(campaign)}">the whole campaign</a>' in empty


def test_the_month_menu_is_at_most_36_months_in_the_campaigns_time_zone(cast, campaign):
    import time_machine

    from dashboards.channel_returns import parse_month
    from dashboards.views.channel_returns import month_choices

    # 31 Mar 2027 17:00 UTC is already 1 April in Shanghai.
    with time_machine.travel(dt.datetime(2027, 3, 31, 17, 0, tzinfo=dt.UTC), tick=False):
        assert [m.label for m in month_choices(campaign)] == ["2027-04", "2027-03", "2027-02"]
        campaign.time_zone = "America/Los_Angeles"
        assert [m.label for m in month_choices(campaign)] == ["2027-03", "2027-02"]
    campaign.time_zone, campaign.start_date = "Asia/Shanghai", dt.date(2020, 5, 17)
    with time_machine.travel(dt.datetime(2027, 3, 8, 4, 0, tzinfo=dt.UTC), tick=False):
        labels = [m.label for m in month_choices(campaign)]
    assert len(labels) == 36 and labels[0] == "2027-03" and labels[-1] == "2024-04"
    # A chosen month outside the menu is offered too, so the menu shows what the page shows.
    with time_machine.travel(dt.datetime(2027, 3, 8, 4, 0, tzinfo=dt.UTC), tick=False):
        campaign.start_date = dt.date(2027, 2, 10)
        assert [m.label for m in month_choices(campaign, parse_month("2026-11"))] == ["2027-03", "2027-02", "2026-11"]


def test_the_page_with_a_malformed_month_shows_the_whole_campaign_and_the_message(browser_client, cast, campaign,
                                                                                    world):  # fmt: skip
    response = browser_client(cast.lead).get(page_url(campaign), {"month": "2026-13"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="invalid-feedback d-block" id="returns-month-error" role="alert">Give a month as YYYY-MM' in html
    assert 'aria-invalid="true"' in html and 'data-window="campaign"' in html
    assert 'data-figure="cost_per_paid_member">100,000.00' in html  # the whole campaign's figures
    assert '<input type="hidden" name="month"' not in html
    assert browser_client(cast.lead).get(page_url(campaign), {"month": "<script>alert(1)</script>"}).status_code == 200


def test_rebalance_for_a_month(browser_client, cast, campaign, months):
    # In February App costs 300,000 per paying member (900,000 / 3) and SMS 401,200 (401,200 / 1): the same
    # direction as the whole campaign, with the month's own figures in the note.
    response = browser_client(cast.lead).post(rebalance_url(campaign), {"month": "2027-02"})
    draft = Budget.objects.get(campaign=campaign, version=2)
    assert response.status_code == 302 and response["Location"] == reverse("budgets:edit", args=[draft.pk])
    assert draft.note.startswith(
        "Proposed re-balance by channel returns in 2027-02: 200,000.00 CNY moved from SMS (401,200.00 CNY per "
        "paying member) to App (300,000.00 CNY per paying member)."
    )
    entry = AuditEntry.objects.get(action="budget.rebalance_proposed", object_id=str(draft.pk))
    assert entry.after["month"] == "2027-02"


def test_rebalance_for_a_month_uses_that_months_returns(browser_client, cast, campaign, months):
    # In March only App has spend and paying members: nothing to compare, refused back to March's tab.
    response = browser_client(cast.lead).post(rebalance_url(campaign), {"month": "2027-03"})
    assert response.status_code == 302 and response["Location"] == page_url(campaign) + "?month=2027-03"
    assert "fewer than two channels" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Budget.objects.filter(campaign=campaign).count() == 1


def test_rebalance_without_a_month_records_none(browser_client, cast, campaign, world):
    browser_client(cast.lead).post(rebalance_url(campaign), {"month": ""})
    draft = Budget.objects.get(campaign=campaign, version=2)
    assert draft.note.startswith("Proposed re-balance by channel returns: ")
    assert AuditEntry.objects.get(action="budget.rebalance_proposed", object_id=str(draft.pk)).after["month"] is None


def test_rebalance_with_a_malformed_month_is_refused_with_a_message(browser_client, cast, campaign, world):
    response = browser_client(cast.lead).post(rebalance_url(campaign), {"month": "2026-13"})
    assert response.status_code == 302 and response["Location"] == page_url(campaign)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Give a month as YYYY-MM, e.g. 2026-11."]
    assert Budget.objects.filter(campaign=campaign).count() == 1


def test_the_query_count_is_the_same_with_a_month(api, browser_client, cast, campaign, months, settings):
    settings.PAGE_CACHE = False  # the page's own queries, every time (not a second look answered from the cache)

    def counter(client, url):
        client.get(url)  # warm: the session and per-process caches

        def count(params) -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, params).status_code == 200
            return len(ctx.captured_queries)

        return count

    count = counter(api(cast.lead), api_url(campaign))
    assert count({}) == count({"month": "2027-02"}) == 6
    page_count = counter(browser_client(cast.lead), page_url(campaign))
    assert page_count({}) == page_count({"month": "2027-02"}) == page_count({"month": "bad"})
