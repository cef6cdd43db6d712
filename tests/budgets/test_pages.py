"""The budget pages (budgets/views/): access for every page and POST, the list, the editor (formset, htmx rows,
live summary, the seed's slip), submit / withdraw / revise, version history and the timeline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.models import Budget, BudgetStatus
from budgets.services import budget_revise, budget_submit, budget_update, signoff_record
from campaigns.models import Channel, Playbook
from campaigns.services import campaign_create_from_playbook
from core.models import AuditEntry
from tests.budgets.conftest import DEMO_LINES
from tests.budgets.test_pages_support import (
    approve_all,
    editor_data,
    field_error,
    flashes,
    html,
    make_budgets,
    make_campaign,
)

pytestmark = pytest.mark.django_db

SLIP_MESSAGE = (
    "The lines add up to 31,000,000.00 CNY, which is 1,000,000.00 CNY more than the total cap of "
    "30,000,000.00 CNY. Reduce the lines or raise the cap."
)


def slip_lines() -> list[dict]:
    """The seed plan as written: channel promotion 10 M makes 31 M of lines under a 30 M cap."""
    lines = [dict(line) for line in DEMO_LINES]
    lines[1]["amount"] = "10000000.00"
    return lines


# --- Access: every page and POST -------------------------------------------------------------------

READERS = ("lead", "deputy", "member", "viewer", "executive")
NON_MANAGERS = ("member", "viewer", "executive")


def read_urls(budget) -> list[str]:
    return [
        f"/budgets/{budget.pk}/",
        f"/budgets/campaign/{budget.campaign_id}/",
        f"/budgets/{budget.pk}/export.csv",
        f"/budgets/{budget.pk}/export.xlsx",
    ]


@pytest.mark.parametrize("person", READERS)
def test_the_team_and_executives_read_every_budget_page(browser_client, cast, budget, person):
    client = browser_client(getattr(cast, person))
    for url in read_urls(budget):
        assert client.get(url).status_code == 200, url
    assert f'data-budget="{budget.pk}"' in html(client.get("/budgets/"))


def test_outsiders_get_404_on_every_budget_page_and_post(browser_client, cast, budget):
    client = browser_client(cast.outsider)
    for url in [*read_urls(budget), f"/budgets/{budget.pk}/edit/"]:
        assert client.get(url).status_code == 404, url
    for action in ("submit", "withdraw", "revise", "sign", "expenses", "edit"):
        assert client.post(f"/budgets/{budget.pk}/{action}/").status_code == 404, action
    assert client.get(f"/budgets/new/?campaign={budget.campaign_id}").status_code == 404
    assert client.get(f"/budgets/campaign/{budget.campaign_id}/editor/line-row/").status_code == 404
    assert client.post(f"/budgets/campaign/{budget.campaign_id}/editor/summary/").status_code == 404
    listing = html(client.get("/budgets/"))
    assert f'data-budget="{budget.pk}"' not in listing
    assert "WD-2027" not in listing


@pytest.mark.parametrize("person", NON_MANAGERS)
def test_read_only_people_get_403_on_every_write(browser_client, cast, budget, person):
    client = browser_client(getattr(cast, person))
    assert client.get(f"/budgets/{budget.pk}/edit/").status_code == 403
    assert client.post(f"/budgets/{budget.pk}/edit/", editor_data(DEMO_LINES)).status_code == 403
    for action in ("submit", "withdraw", "revise", "expenses", "sign"):
        assert client.post(f"/budgets/{budget.pk}/{action}/").status_code == 403, action
    assert client.get(f"/budgets/new/?campaign={budget.campaign_id}").status_code == 403
    assert client.get(f"/budgets/campaign/{budget.campaign_id}/editor/line-row/").status_code == 403
    assert client.post(f"/budgets/campaign/{budget.campaign_id}/editor/summary/").status_code == 403
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.DRAFT


@pytest.mark.parametrize("person", NON_MANAGERS)
def test_read_only_people_see_no_actions(browser_client, cast, budget, person):
    page = html(browser_client(getattr(cast, person)).get(f"/budgets/{budget.pk}/"))
    assert f"/budgets/{budget.pk}/edit/" not in page
    assert f"/budgets/{budget.pk}/submit/" not in page
    assert "Version history" in page and "export.csv" in page


def test_the_lead_and_deputy_see_edit_and_submit_on_a_draft(browser_client, cast, budget):
    for person in ("lead", "deputy"):
        page = html(browser_client(getattr(cast, person)).get(f"/budgets/{budget.pk}/"))
        assert f"/budgets/{budget.pk}/edit/" in page
        assert f'action="/budgets/{budget.pk}/submit/"' in page
        assert "data-confirm=" in page
        assert f"/budgets/{budget.pk}/withdraw/" not in page
        assert f"/budgets/{budget.pk}/revise/" not in page


def test_pages_need_a_login(client, budget):
    for url in ["/budgets/", "/budgets/awaiting-my-signoff/", *read_urls(budget)]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_writes_refuse_get(browser_client, cast, budget):
    client = browser_client(cast.lead)
    for action in ("submit", "withdraw", "revise", "sign", "expenses"):
        assert client.get(f"/budgets/{budget.pk}/{action}/").status_code == 405, action


def test_an_unknown_export_format_is_404(browser_client, cast, budget):
    assert browser_client(cast.lead).get(f"/budgets/{budget.pk}/export.pdf").status_code == 404


# --- List ------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_and_campaign(browser_client, cast, budget):
    other = make_budgets(cast, 1, prefix="OT", submit=True)[0]
    client = browser_client(cast.viewer)
    both = html(client.get("/budgets/"))
    assert f'data-budget="{budget.pk}"' in both and f'data-budget="{other.pk}"' in both
    in_review = html(client.get("/budgets/?status=in_review"))
    assert f'data-budget="{other.pk}"' in in_review and f'data-budget="{budget.pk}"' not in in_review
    by_campaign = html(client.get(f"/budgets/?campaign={budget.campaign_id}"))
    assert f'data-budget="{budget.pk}"' in by_campaign and f'data-budget="{other.pk}"' not in by_campaign
    assert "No budget matches these filters." in html(client.get("/budgets/?status=rejected"))
    assert client.get("/budgets/?status=nonsense&campaign=abc").status_code == 200


def test_the_list_paginates(browser_client, cast):
    make_budgets(cast, 27, prefix="PG")
    client = browser_client(cast.viewer)
    first = html(client.get("/budgets/"))
    assert first.count("data-budget=") == 25
    assert "Page 1 of 2" in first
    assert html(client.get("/budgets/?page=2")).count("data-budget=") == 2


def test_the_list_offers_campaigns_without_a_budget_to_their_lead(browser_client, cast, budget):
    fresh = make_campaign(cast, "NEW-1")
    page = html(browser_client(cast.lead).get("/budgets/"))
    assert f"/budgets/new/?campaign={fresh.pk}" in page
    assert f"/budgets/new/?campaign={budget.campaign_id}" not in page
    assert f"/budgets/new/?campaign={fresh.pk}" not in html(browser_client(cast.member).get("/budgets/"))


def test_the_list_shows_no_other_teams_totals(browser_client, cast, budget):
    page = html(browser_client(cast.outsider).get("/budgets/"))
    assert "30,000,000.00" not in page
    assert "No budgets to show." in page


# --- Editor ----------------------------------------------------------------------------------------


def test_a_valid_budget_is_created_through_the_form(browser_client, cast, campaign):
    channel = Channel.objects.create(campaign=campaign, type="sms", name="短信 SMS")
    lines = [dict(line) for line in DEMO_LINES]
    lines[1]["channel"] = str(channel.pk)
    lines[1]["note"] = "SMS and push"
    client = browser_client(cast.lead)
    assert client.get(f"/budgets/new/?campaign={campaign.pk}").status_code == 200
    response = client.post(f"/budgets/new/?campaign={campaign.pk}", editor_data(lines, note="seed plan"))
    budget = Budget.objects.get(campaign=campaign)
    assert response.status_code == 302 and response["Location"] == f"/budgets/{budget.pk}/"
    assert (budget.version, budget.status, budget.note) == (1, "draft", "seed plan")
    assert budget.total == Decimal("30000000.00")
    assert sum(line.amount for line in budget.lines.all()) == Decimal("28000000.00")
    promotion = budget.lines.get(category="channel_promotion")
    assert (promotion.channel, promotion.note) == (channel, "SMS and push")
    assert AuditEntry.objects.filter(action="budget.created", object_id=str(budget.pk)).exists()


def test_amounts_with_thousands_separators_are_read(browser_client, cast, campaign):
    lines = [dict(line, amount=f"{Decimal(line['amount']):,.0f}") for line in DEMO_LINES]
    response = browser_client(cast.lead).post(
        f"/budgets/new/?campaign={campaign.pk}", editor_data(lines, total="30,000,000")
    )
    assert response.status_code == 302
    assert Budget.objects.get(campaign=campaign).total == Decimal("30000000.00")


def test_the_seed_plans_slip_shows_the_services_message_and_saves_nothing(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(f"/budgets/new/?campaign={campaign.pk}", editor_data(slip_lines()))
    assert response.status_code == 400
    page = html(response)
    assert SLIP_MESSAGE in page
    above_lines = page[page.index('id="budget-check-errors"') : page.index('id="line-rows"')]
    assert "The budget was not saved:" in above_lines and SLIP_MESSAGE in above_lines
    assert not Budget.objects.exists()
    assert 'value="10000000.00"' in page  # what was typed is kept


def test_a_short_reserve_is_explained_in_money_terms(browser_client, cast, campaign):
    lines = [line for line in DEMO_LINES if line["category"] != "partner_reserve"]
    page = html(browser_client(cast.lead).post(f"/budgets/new/?campaign={campaign.pk}", editor_data(lines)))
    assert "The risk reserve (emergency and partner-reserve lines) is 1,000,000.00 CNY" in page
    assert "add 2,000,000.00 CNY to the reserve lines" in page
    assert not Budget.objects.exists()


def test_row_errors_show_next_to_the_row_and_nothing_is_saved(browser_client, cast, campaign):
    lines = [dict(line) for line in DEMO_LINES]
    lines[2]["amount"] = "lots"
    lines[3]["amount"] = "0"
    lines[4]["category"] = ""
    response = browser_client(cast.lead).post(f"/budgets/new/?campaign={campaign.pk}", editor_data(lines))
    assert response.status_code == 400
    page = html(response)
    assert "Enter a number." in field_error(page, "id_lines-2-amount")
    assert "The amount must be greater than zero." in field_error(page, "id_lines-3-amount")
    assert "This field is required." in field_error(page, "id_lines-4-category")
    assert not Budget.objects.exists()


def test_the_total_cap_is_checked_at_the_field(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(
        f"/budgets/new/?campaign={campaign.pk}", editor_data(DEMO_LINES, total="-5")
    )
    assert response.status_code == 400
    assert "The total cap must be greater than zero." in field_error(html(response), "id_total")
    assert not Budget.objects.exists()


def test_blank_rows_are_skipped_and_removed_rows_dropped(browser_client, cast, campaign):
    lines = [
        *DEMO_LINES,
        {},  # left blank
        {"category": "advertising", "amount": "99000000.00", "DELETE": "on"},  # ticked "remove"
    ]
    data = editor_data(lines)
    # A row removed by script leaves a gap in the numbering: lines-8 after lines-7 is missing.
    data["lines-TOTAL_FORMS"] = "10"
    data["lines-9-category"], data["lines-9-kind"], data["lines-9-amount"] = "other", "flexible", "500000"
    response = browser_client(cast.lead).post(f"/budgets/new/?campaign={campaign.pk}", data)
    assert response.status_code == 302, html(response)
    budget = Budget.objects.get(campaign=campaign)
    assert sorted(budget.lines.values_list("category", flat=True)) == sorted(
        [*(line["category"] for line in DEMO_LINES), "other"]
    )


def test_a_budget_needs_at_least_one_line(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(f"/budgets/new/?campaign={campaign.pk}", editor_data([{}]))
    assert response.status_code == 400
    assert "Add at least one budget line." in html(response)
    assert not Budget.objects.exists()


def test_the_editor_starts_from_the_playbooks_categories(browser_client, cast):
    campaign = campaign_create_from_playbook(
        actor=cast.lead,
        team=cast.team,
        playbook=Playbook.objects.get(code="festival"),
        code="PB-1",
        name="From the playbook",
        start_date=__import__("datetime").date(2027, 2, 10),
    )
    page = html(browser_client(cast.lead).get(f"/budgets/new/?campaign={campaign.pk}"))
    assert 'name="lines-TOTAL_FORMS" value="6"' in page
    assert '<option value="emergency" selected>' in page
    assert "APP推送 App push" in page  # the campaign's channels are offered


def test_create_without_a_campaign_offers_the_campaigns_i_may_budget(browser_client, cast, budget):
    fresh = make_campaign(cast, "NEW-2")
    page = html(browser_client(cast.deputy).get("/budgets/new/"))
    assert f"?campaign={fresh.pk}" in page
    assert f"?campaign={budget.campaign_id}" not in page
    assert "There is no campaign" in html(browser_client(cast.viewer).get("/budgets/new/"))


def test_a_second_budget_for_a_campaign_is_sent_to_the_existing_one(browser_client, cast, budget):
    client = browser_client(cast.lead)
    response = client.get(f"/budgets/new/?campaign={budget.campaign_id}", follow=True)
    assert response.redirect_chain[-1][0] == f"/budgets/{budget.pk}/"
    assert any("revise it instead" in m for m in flashes(response))
    client.post(f"/budgets/new/?campaign={budget.campaign_id}", editor_data(DEMO_LINES))
    assert Budget.objects.filter(campaign_id=budget.campaign_id).count() == 1


def test_the_lead_edits_a_draft_and_lines_are_replaced(browser_client, cast, budget):
    client = browser_client(cast.deputy)
    page = html(client.get(f"/budgets/{budget.pk}/edit/"))
    assert 'value="8000000.00"' in page and 'name="lines-TOTAL_FORMS" value="6"' in page
    lines = [dict(line) for line in DEMO_LINES]
    lines[3]["amount"] = "1500000.00"
    response = client.post(f"/budgets/{budget.pk}/edit/", editor_data(lines, total="29000000.00"))
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.total == Decimal("29000000.00")
    assert budget.lines.get(category="materials").amount == Decimal("1500000.00")
    assert budget.lines.count() == 6


def test_a_slip_while_editing_keeps_the_draft_as_it_was(browser_client, cast, budget):
    response = browser_client(cast.lead).post(f"/budgets/{budget.pk}/edit/", editor_data(slip_lines()))
    assert response.status_code == 400
    assert SLIP_MESSAGE in html(response)
    assert budget.lines.get(category="channel_promotion").amount == Decimal("7000000.00")


def test_a_budget_in_review_cannot_be_edited(browser_client, cast, budget):
    budget_submit(budget=budget, actor=cast.lead)
    client = browser_client(cast.lead)
    response = client.get(f"/budgets/{budget.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/budgets/{budget.pk}/"
    assert any("Only a draft budget can be changed" in m for m in flashes(response))
    client.post(f"/budgets/{budget.pk}/edit/", editor_data(slip_lines()))
    assert budget.lines.get(category="channel_promotion").amount == Decimal("7000000.00")


# --- htmx fragments --------------------------------------------------------------------------------


def test_add_line_returns_one_row_and_the_new_form_count(browser_client, cast, campaign):
    response = browser_client(cast.lead).get(
        f"/budgets/campaign/{campaign.pk}/editor/line-row/?lines-TOTAL_FORMS=6", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page
    assert 'name="lines-6-category"' in page and 'name="lines-6-DELETE"' in page
    assert 'id="id_lines-TOTAL_FORMS" value="7" hx-swap-oob="true"' in page
    assert page.count("data-line>") == 1 and "data-remove-line" in page  # one row, with its remove box


def test_add_line_without_javascript_redisplays_the_rows_plus_one_and_saves_nothing(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(
        f"/budgets/new/?campaign={campaign.pk}", editor_data(slip_lines(), add_line="1")
    )
    assert response.status_code == 200
    page = html(response)
    assert 'name="lines-TOTAL_FORMS" value="7"' in page
    assert 'name="lines-6-category"' in page and 'value="10000000.00"' in page
    assert "Over the cap by" in page  # the summary is recalculated
    assert not Budget.objects.exists()


def test_the_summary_fragment_shows_the_sums_and_the_services_checks(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    url = f"/budgets/campaign/{campaign.pk}/editor/summary/"
    response = client.post(url, editor_data(slip_lines()), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page and 'id="budget-summary"' in page
    assert "31,000,000.00" in page and "Over the cap by" in page and "1,000,000.00" in page
    assert SLIP_MESSAGE in page
    # The last save's refusal above the lines is cleared: the live summary now speaks for the figures.
    assert '<div id="budget-check-errors" hx-swap-oob="true">' in page and "was not saved" not in page
    assert 'id="budget-summary-bar" class="small ms-auto summary-bar" hx-swap-oob="true"' in page
    ok = html(client.post(url, editor_data(DEMO_LINES), HTTP_HX_REQUEST="true"))
    assert "Remaining under the cap" in ok and "2,000,000.00" in ok
    assert "The reserve is sufficient." in ok and "ready to save" in ok
    partial = html(client.post(url, editor_data([*DEMO_LINES, {"category": "labour", "amount": "x"}])))
    assert "1 row is not complete yet" in partial
    assert not Budget.objects.exists()


def test_the_editor_wires_htmx_for_rows_and_summary(browser_client, cast, campaign):
    page = html(browser_client(cast.lead).get(f"/budgets/new/?campaign={campaign.pk}"))
    assert f'hx-post="/budgets/campaign/{campaign.pk}/editor/summary/"' in page
    assert 'hx-trigger="input changed delay:300ms, line-removed"' in page
    assert f'hx-get="/budgets/campaign/{campaign.pk}/editor/line-row/"' in page
    assert 'hx-swap="beforeend"' in page
    assert 'name="add_line"' in page  # the same button submits without JavaScript
    assert "budgets/budgets.js" in page


# --- Submit, withdraw, revise ----------------------------------------------------------------------


def test_the_lead_submits_a_draft(browser_client, cast, budget, signers):
    response = browser_client(cast.lead).post(f"/budgets/{budget.pk}/submit/", follow=True)
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.IN_REVIEW and budget.submitted_by == cast.lead
    assert any("is in review" in m for m in flashes(response))
    page = html(response)
    assert 'data-status="in_review"' in page
    assert f"/budgets/{budget.pk}/withdraw/" in page


def test_submitting_twice_says_why_and_changes_nothing(browser_client, cast, budget):
    client = browser_client(cast.lead)
    client.post(f"/budgets/{budget.pk}/submit/")
    response = client.post(f"/budgets/{budget.pk}/submit/", follow=True)
    assert any("Only a draft can be submitted" in m for m in flashes(response))
    assert AuditEntry.objects.filter(action="budget.submitted").count() == 1


def test_a_refused_htmx_action_answers_409_with_the_reason(browser_client, cast, budget):
    budget_submit(budget=budget, actor=cast.lead)
    response = browser_client(cast.lead).post(f"/budgets/{budget.pk}/submit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Only a draft can be submitted" in html(response)


def test_the_lead_withdraws_an_unsigned_budget(browser_client, cast, budget):
    budget_submit(budget=budget, actor=cast.lead)
    response = browser_client(cast.deputy).post(f"/budgets/{budget.pk}/withdraw/", follow=True)
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.DRAFT
    assert any("is a draft again" in m for m in flashes(response))


def test_a_signed_budget_cannot_be_withdrawn(browser_client, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve")
    client = browser_client(cast.lead)
    assert f"/budgets/{budget.pk}/withdraw/" not in html(client.get(f"/budgets/{budget.pk}/"))
    response = client.post(f"/budgets/{budget.pk}/withdraw/", follow=True)
    assert any("can no longer be withdrawn" in m for m in flashes(response))
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.IN_REVIEW


def test_revising_an_approved_budget_opens_the_new_draft_in_the_editor(browser_client, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    client = browser_client(cast.lead)
    assert f"/budgets/{budget.pk}/revise/" in html(client.get(f"/budgets/{budget.pk}/"))
    response = client.post(f"/budgets/{budget.pk}/revise/")
    draft = Budget.objects.get(campaign=budget.campaign, version=2)
    assert response["Location"] == f"/budgets/{draft.pk}/edit/"
    assert draft.status == BudgetStatus.DRAFT and draft.lines.count() == 6
    page = html(client.get(f"/budgets/{budget.pk}/"))
    assert f"/budgets/{budget.pk}/revise/" not in page  # version 2 is being worked on
    assert "Version 2 is being worked on" in page


def test_revising_a_draft_is_refused_with_the_reason(browser_client, cast, budget):
    response = browser_client(cast.lead).post(f"/budgets/{budget.pk}/revise/", follow=True)
    assert any("Only an approved or rejected budget can be revised." in m for m in flashes(response))
    assert Budget.objects.count() == 1


# --- History and timeline --------------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_their_diffs(browser_client, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    draft = budget_revise(budget=budget, actor=cast.lead)
    lines = [dict(line) for line in DEMO_LINES if line["category"] != "materials"]
    lines[0]["amount"] = "9000000.00"
    lines.append({"category": "advertising", "kind": "flexible", "amount": "500000.00"})
    budget_update(budget=draft, actor=cast.lead, lines=lines)
    page = html(browser_client(cast.viewer).get(f"/budgets/campaign/{budget.campaign_id}/"))
    assert page.index('data-version="2"') < page.index('data-version="1"')
    assert "Changes from version 1 to version 2" in page
    assert 'data-change="changed" data-category="tech_development"' in page
    assert 'data-change="removed" data-category="materials"' in page
    assert 'data-change="added" data-category="advertising"' in page
    assert 'data-change="unchanged" data-category="emergency"' in page
    assert "+1,000,000.00" in page and "-2,000,000.00" in page


def test_history_of_a_campaign_without_budget_offers_to_start_one(browser_client, cast, campaign):
    page = html(browser_client(cast.lead).get(f"/budgets/campaign/{campaign.pk}/"))
    assert "This campaign has no budget yet." in page
    assert f"/budgets/new/?campaign={campaign.pk}" in page
    assert f"/budgets/new/?campaign={campaign.pk}" not in html(
        browser_client(cast.viewer).get(f"/budgets/campaign/{campaign.pk}/")
    )


def test_the_timeline_tells_every_step_oldest_first(browser_client, cast, budget, signers):
    budget_update(budget=budget, actor=cast.lead, total="29000000.00")
    budget_submit(budget=budget, actor=cast.lead)
    signoff_record(budget=budget, signer=signers.finance, role="finance", decision="approve", comment="合規")
    signoff_record(budget=budget, signer=signers.marketing, role="marketing", decision="approve")
    signoff_record(budget=budget, signer=signers.tech, role="tech", decision="approve")
    page = html(browser_client(cast.viewer).get(f"/budgets/{budget.pk}/"))
    actions = [
        "budget.created",
        "budget.updated",
        "budget.submitted",
        "budget.signed",
        "budget.signed",
        "budget.signed",
        "budget.approved",
    ]
    positions = []
    start = 0
    for action in actions:
        start = page.index(f'data-action="{action}"', start) + 1
        positions.append(start)
    assert positions == sorted(positions)
    assert "6 lines totalling 28,000,000.00 CNY under a cap of 30,000,000.00 CNY" in page
    assert "Cap 30,000,000.00 CNY → 29,000,000.00 CNY." in page
    assert "Finance (compliance): approved." in page and "“合規”" in page
    assert "S-Finance" in page  # the actor
