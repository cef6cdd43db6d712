"""The "Awaiting my sign-off" queue and signing through the pages: who sees what, the checklist, reject with a
reason, the third approval, and refusals (a role already signed) in plain words."""

from __future__ import annotations

import pytest

from budgets.models import Budget, BudgetStatus, Signoff
from budgets.services import budget_submit, signoff_record
from tests.budgets.test_pages_support import field_error, flashes, html, make_budgets, sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(cast, budget) -> Budget:
    return budget_submit(budget=budget, actor=cast.lead)


def queued_ids(response) -> set[int]:
    import re

    return {int(pk) for pk in re.findall(r'class="card shadow-sm mb-4 queue-item" id="queue-(\d+)"', html(response))}


# --- The queue -------------------------------------------------------------------------------------


def test_the_queue_shows_only_budgets_awaiting_the_approver(browser_client, cast, signers, in_review):
    draft = make_budgets(cast, 1, prefix="DR")[0]
    signed_by_finance = make_budgets(cast, 1, prefix="SF", submit=True)[0]
    signoff_record(budget=signed_by_finance, signer=signers.finance, role="finance", decision="approve")

    assert queued_ids(browser_client(signers.finance2).get("/budgets/awaiting-my-signoff/")) == {in_review.pk}
    assert queued_ids(browser_client(signers.finance).get("/budgets/awaiting-my-signoff/")) == {in_review.pk}
    marketing = queued_ids(browser_client(signers.marketing).get("/budgets/awaiting-my-signoff/"))
    assert marketing == {in_review.pk, signed_by_finance.pk}
    assert draft.pk not in marketing


def test_the_queue_shows_lines_kpis_risks_note_and_the_roles_checklist(browser_client, cast, signers, in_review):
    from campaigns.models import Kpi

    Kpi.objects.create(campaign=in_review.campaign, name="新增用戶 New users", unit="", target="1000000")
    page = html(browser_client(signers.finance).get("/budgets/awaiting-my-signoff/"))
    assert "WD-2027" in page and "v1" in page and "T-Lead" in page
    assert "Tech development" in page and "8,000,000.00" in page and "28,000,000.00" in page
    assert "新增用戶 New users" in page and "1,000,000" in page
    assert "No open risks are recorded for this campaign." in page
    assert "The lines stay within the total cap." in page  # finance's checklist
    assert "The technical scope can be built as planned." not in page  # not tech's
    assert f'action="/budgets/{in_review.pk}/sign/"' in page
    assert 'name="decision" value="approve"' in page and 'name="decision" value="reject"' in page
    assert "data-confirm=" in page


def test_the_queue_shows_the_campaigns_open_risks_with_their_cost_impact(browser_client, signers, in_review):
    from risks.models import Risk

    campaign = in_review.campaign
    Risk.objects.create(campaign=campaign, title="平臺故障 Platform failure", category="technical", probability=3,
                        impact=5, cost_impact="2500000.00")  # fmt: skip
    Risk.objects.create(campaign=campaign, title="用戶疲勞 Fatigue", category="market", probability=2, impact=2)
    Risk.objects.create(campaign=campaign, title="合作方違約 Partner", category="partner", probability=4, impact=4,
                        cost_impact="2000000.00", status="closed")  # fmt: skip
    page = html(browser_client(signers.tech).get("/budgets/awaiting-my-signoff/"))
    assert "平臺故障 Platform failure" in page and "2,500,000.00" in page and "P3 × I5 · High" in page
    assert "用戶疲勞 Fatigue" in page
    assert "合作方違約 Partner" not in page  # closed
    assert "Open risks' cost impact: 2,500,000.00 CNY, against a reserve of 4,000,000.00 CNY." in page
    assert page.index("平臺故障") < page.index("用戶疲勞")  # largest cost impact first


def test_someone_holding_two_roles_gets_a_form_for_each(browser_client, signers, in_review):
    page = html(browser_client(signers.dual).get("/budgets/awaiting-my-signoff/"))
    assert f'id="sign-{in_review.pk}-finance"' in page and f'id="sign-{in_review.pk}-tech"' in page
    assert "one person signs one role" in page


@pytest.mark.parametrize("person", ["lead", "viewer", "executive", "outsider"])
def test_people_without_an_approver_role_see_an_explaining_empty_queue(browser_client, cast, in_review, person):
    response = browser_client(getattr(cast, person)).get("/budgets/awaiting-my-signoff/")
    assert response.status_code == 200
    page = html(response)
    assert "This queue is for budget approvers." in page
    assert not queued_ids(response)


def test_an_approver_with_nothing_to_sign_sees_an_empty_queue(browser_client, signers):
    page = html(browser_client(signers.tech).get("/budgets/awaiting-my-signoff/"))
    assert "Nothing awaits your sign-off." in page


def test_approvers_open_budgets_in_review_but_not_drafts(browser_client, cast, signers, in_review):
    draft = make_budgets(cast, 1, prefix="DR")[0]
    client = browser_client(signers.marketing)
    assert client.get(f"/budgets/{in_review.pk}/").status_code == 200
    assert client.get(f"/budgets/{in_review.pk}/export.csv").status_code == 200
    assert client.get(f"/budgets/{draft.pk}/").status_code == 404
    assert client.get(f"/budgets/{draft.pk}/export.xlsx").status_code == 404
    listing = html(client.get("/budgets/"))
    assert f'data-budget="{in_review.pk}"' in listing and f'data-budget="{draft.pk}"' not in listing


def test_approvers_cannot_write_to_a_budget(browser_client, signers, in_review):
    client = browser_client(signers.finance)
    for action in ("withdraw", "submit", "revise", "expenses", "edit"):
        assert client.post(f"/budgets/{in_review.pk}/{action}/").status_code == 403, action
    in_review.refresh_from_db()
    assert in_review.status == BudgetStatus.IN_REVIEW


# --- Signing ---------------------------------------------------------------------------------------


def test_three_approvals_through_the_pages_approve_the_budget(browser_client, signers, in_review):
    for user, role in ((signers.finance, "finance"), (signers.marketing, "marketing")):
        response = browser_client(user).post(f"/budgets/{in_review.pk}/sign/", sign_data(role), follow=True)
        assert response.redirect_chain[-1][0] == "/budgets/awaiting-my-signoff/"
        assert any("It waits for the other roles." in m for m in flashes(response))
        assert in_review.pk not in queued_ids(response)
    in_review.refresh_from_db()
    assert in_review.status == BudgetStatus.IN_REVIEW

    response = browser_client(signers.tech).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("tech", next="detail", comment="可行"), follow=True
    )
    assert response.redirect_chain[-1][0] == f"/budgets/{in_review.pk}/"
    assert any("the budget is approved" in m for m in flashes(response))
    page = html(response)
    assert 'data-status="approved"' in page and ">Approved<" in page
    assert "“可行”" in page  # the comment in the sign-off list
    in_review.refresh_from_db()
    assert in_review.status == BudgetStatus.APPROVED
    tech = Signoff.objects.get(budget=in_review, role="tech")
    assert tech.checklist == {"scope_feasible": True, "capacity_available": True, "timeline_feasible": True}


def test_finance2_after_finance_is_refused_with_the_reason(browser_client, signers, in_review):
    browser_client(signers.finance).post(f"/budgets/{in_review.pk}/sign/", sign_data("finance"))
    response = browser_client(signers.finance2).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("finance"), follow=True
    )
    assert any("The finance sign-off for this version was already given by S-Finance." in m for m in flashes(response))
    assert "already given by S-Finance" in html(response)
    assert Signoff.objects.filter(budget=in_review).count() == 1


def test_a_refused_htmx_sign_answers_409(browser_client, signers, in_review):
    browser_client(signers.finance).post(f"/budgets/{in_review.pk}/sign/", sign_data("finance"))
    response = browser_client(signers.finance2).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("finance"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "already given by" in html(response)


def test_rejecting_needs_a_comment_shown_next_to_the_box(browser_client, signers, in_review):
    response = browser_client(signers.marketing).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("marketing", "reject", ticked=["serves_objective"])
    )
    assert response.status_code == 400
    page = html(response)
    assert "Say why you reject the budget." in field_error(page, f"sign-{in_review.pk}-marketing-comment")
    assert 'value="serves_objective" id="sign-' in page and "checked" in page  # what was ticked stays ticked
    assert not Signoff.objects.exists()


def test_a_reject_with_a_reason_rejects_the_budget(browser_client, cast, signers, in_review):
    response = browser_client(signers.marketing).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("marketing", "reject", comment="渠道費用過高", ticked=[])
    )
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == BudgetStatus.REJECTED
    page = html(browser_client(cast.lead).get(f"/budgets/{in_review.pk}/"))
    assert "渠道費用過高" in page
    assert f"/budgets/{in_review.pk}/revise/" in page


def test_approving_with_an_unticked_item_is_refused_inline(browser_client, signers, in_review):
    response = browser_client(signers.finance).post(
        f"/budgets/{in_review.pk}/sign/", sign_data("finance", ticked=["within_cap"], next="detail")
    )
    assert response.status_code == 400
    page = html(response)
    assert "You cannot approve while these items are unticked" in page
    assert "“The risk reserve meets the required percentage.”" in page  # the items' wording, not their codes
    assert 'class="form-check-input is-invalid"' in page
    assert not Signoff.objects.exists()


def test_an_approver_cannot_sign_a_role_they_do_not_hold(browser_client, signers, in_review):
    response = browser_client(signers.finance).post(f"/budgets/{in_review.pk}/sign/", sign_data("tech"), follow=True)
    assert any("Only a tech approver can sign as tech." in m for m in flashes(response))
    assert not Signoff.objects.exists()


def test_a_nonsense_role_is_refused_without_a_crash(browser_client, signers, in_review):
    response = browser_client(signers.finance).post(
        f"/budgets/{in_review.pk}/sign/", {"role": "ceo", "decision": "maybe"}, follow=True
    )
    assert response.status_code == 200
    assert flashes(response)
    assert not Signoff.objects.exists()


def test_the_detail_page_offers_the_sign_form_to_an_approver_who_may_sign(browser_client, signers, in_review):
    page = html(browser_client(signers.finance).get(f"/budgets/{in_review.pk}/"))
    assert f'id="sign-{in_review.pk}-finance"' in page
    signoff_record(budget=in_review, signer=signers.finance, role="finance", decision="approve")
    for user in (signers.finance, signers.finance2):
        assert f'id="sign-{in_review.pk}-finance"' not in html(browser_client(user).get(f"/budgets/{in_review.pk}/"))
    assert f'id="sign-{in_review.pk}-tech"' in html(browser_client(signers.dual).get(f"/budgets/{in_review.pk}/"))


def test_the_detail_page_shows_each_roles_state(browser_client, cast, signers, in_review):
    signoff_record(
        budget=in_review,
        signer=signers.finance,
        role="finance",
        decision="approve",
        comment="OK",
        checklist={"within_cap": True, "reserve_sufficient": True, "categories_compliant": True},
    )
    page = html(browser_client(cast.viewer).get(f"/budgets/{in_review.pk}/"))
    assert page.count(">Awaiting<") == 2
    assert "S-Finance" in page and "“OK”" in page
    assert "Every category and amount complies with finance policy." in page


@pytest.mark.parametrize("person", ["lead", "deputy", "member", "viewer", "executive"])
def test_people_holding_no_approver_role_get_403_when_signing(browser_client, cast, in_review, person):
    response = browser_client(getattr(cast, person)).post(f"/budgets/{in_review.pk}/sign/", sign_data("finance"))
    assert response.status_code == 403
    assert not Signoff.objects.exists()
    assert f'id="sign-{in_review.pk}-finance"' not in html(
        browser_client(getattr(cast, person)).get(f"/budgets/{in_review.pk}/")
    )
