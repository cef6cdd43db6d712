"""SPEC 9's budget rows: contract fields, actions and status codes, and access for every endpoint."""

from __future__ import annotations

import pytest

from budgets.models import Budget
from budgets.services import budget_submit, signoff_record
from tests.budgets.conftest import DEMO_LINES

pytestmark = pytest.mark.django_db


def payload(target, **overrides):
    return {"campaign": target.pk, "total": "30000000.00", "reserve_pct": "10", "lines": DEMO_LINES, **overrides}


def approve_all(budget, signers):
    for user, role in ((signers.finance, "finance"), (signers.marketing, "marketing"), (signers.tech, "tech")):
        signoff_record(budget=budget, signer=user, role=role, decision="approve")


def test_create_returns_the_contract_fields(api, cast, campaign):
    response = api(cast.lead).post("/api/v1/budgets/", payload(campaign), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in ("id", "campaign", "version", "total", "reserve_pct", "status", "lines", "signoffs"):
        assert field in body
    assert (body["version"], body["status"], body["total"]) == (1, "draft", "30000000.00")
    assert {line["category"] for line in body["lines"]} == {line["category"] for line in DEMO_LINES}
    assert set(body["lines"][0]) >= {"category", "kind", "amount", "channel", "note"}


def test_the_seed_plans_slip_is_a_field_level_400(api, cast, campaign):
    lines = [dict(line) for line in DEMO_LINES]
    lines[1]["amount"] = "10000000.00"
    response = api(cast.lead).post("/api/v1/budgets/", payload(campaign, lines=lines), format="json")
    assert response.status_code == 400
    assert "31,000,000.00 CNY" in response.json()["lines"][0]
    assert not Budget.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"total": "lots"},
        {"total": "-1"},
        {"reserve_pct": "150"},
        {"lines": []},
        {"lines": [{"category": "materials", "amount": "0"}]},
        {"lines": [{"category": "cake", "amount": "10"}]},
        {"lines": "not a list"},
        {"campaign": "abc"},
        {"campaign": 999999},
    ],
)
def test_bad_input_is_400_never_500(api, cast, campaign, bad):
    response = api(cast.lead).post("/api/v1/budgets/", payload(campaign, **bad), format="json")
    assert response.status_code == 400
    assert set(bad) & set(response.json())


def test_malformed_json_and_non_objects(api, cast, campaign):
    client = api(cast.lead)
    assert client.generic("POST", "/api/v1/budgets/", "{", content_type="application/json").status_code == 400
    assert client.post("/api/v1/budgets/", [1, 2], format="json").status_code == 400


def test_writing_lines_replaces_them_and_only_drafts_change(api, cast, campaign, signers):
    client = api(cast.lead)
    budget_id = client.post("/api/v1/budgets/", payload(campaign), format="json").json()["id"]
    lines = [*DEMO_LINES[:-1], {"category": "emergency", "kind": "flexible", "amount": "500000.00", "note": "smaller"}]
    response = client.patch(f"/api/v1/budgets/{budget_id}/", {"lines": lines}, format="json")
    assert response.status_code == 200, response.json()
    assert len(response.json()["lines"]) == 6
    assert Budget.objects.get(pk=budget_id).lines.get(category="emergency").note == "smaller"
    assert client.post(f"/api/v1/budgets/{budget_id}/submit/").json()["status"] == "in_review"
    assert client.patch(f"/api/v1/budgets/{budget_id}/", {"total": "1000"}, format="json").status_code == 409


def test_actions_not_allowed_in_the_current_status_are_409(api, cast, budget, signers):
    client = api(cast.lead)
    assert client.post(f"/api/v1/budgets/{budget.pk}/withdraw/").status_code == 409
    assert client.post(f"/api/v1/budgets/{budget.pk}/revise/").status_code == 409
    assert client.post(f"/api/v1/budgets/{budget.pk}/submit/").status_code == 200
    assert client.post(f"/api/v1/budgets/{budget.pk}/submit/").status_code == 409
    assert client.post(f"/api/v1/budgets/{budget.pk}/withdraw/").json()["status"] == "draft"


def test_signoff_endpoint_returns_the_budget_status(api, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    url = f"/api/v1/budgets/{budget.pk}/signoffs/"
    first = api(signers.finance).post(url, {"role": "finance", "decision": "approve", "comment": ""}, format="json")
    assert first.status_code == 201
    assert first.json()["budget_status"] == "in_review"
    assert first.json()["role"] == "finance"
    api(signers.marketing).post(url, {"role": "marketing", "decision": "approve"}, format="json")
    last = api(signers.tech).post(
        url, {"role": "tech", "decision": "approve", "checklist": {"scope_feasible": True}}, format="json"
    )
    assert last.status_code == 201
    assert last.json()["budget_status"] == "approved"
    body = api(cast.viewer).get(f"/api/v1/budgets/{budget.pk}/").json()
    assert {(s["role"], s["decision"]) for s in body["signoffs"]} == {
        ("finance", "approve"),
        ("marketing", "approve"),
        ("tech", "approve"),
    }


def test_signoff_rule_violations_have_their_status_codes(api, cast, budget, signers):
    url = f"/api/v1/budgets/{budget.pk}/signoffs/"
    approve = {"role": "finance", "decision": "approve"}
    assert api(signers.finance).post(url, approve, format="json").status_code == 404  # a draft is not theirs to see
    budget_submit(budget=budget, actor=cast.lead)
    assert api(signers.marketing).post(url, approve, format="json").status_code == 403  # rule 1
    assert api(signers.finance).post(url, approve, format="json").status_code == 201
    second = api(signers.finance2).post(url, approve, format="json")  # rule 3
    assert second.status_code == 409 and "already given" in second.json()["detail"]
    assert api(signers.dual).post(url, {"role": "tech", "decision": "approve"}, format="json").status_code == 201
    assert api(signers.dual).post(url, {"role": "finance", "decision": "approve"}, format="json").status_code == 409
    reject = api(signers.marketing).post(url, {"role": "marketing", "decision": "reject"}, format="json")
    assert reject.status_code == 400 and "comment" in reject.json()  # a reason is required
    for bad in (
        {"role": "ceo", "decision": "approve"},
        {"role": "marketing", "decision": "maybe"},
        {"role": "marketing", "decision": "approve", "checklist": ["x"]},
        {"role": "marketing", "decision": "approve", "checklist": {"serves_objective": False}},
    ):
        assert api(signers.marketing).post(url, bad, format="json").status_code == 400
    api(signers.marketing).post(url, {"role": "marketing", "decision": "approve"}, format="json")
    assert Budget.objects.get(pk=budget.pk).status == "approved"
    # Rule 2 through the API: a signer who can still see the approved budget gets 409, not a new sign-off.
    assert api(signers.finance).post(url, approve, format="json").status_code == 409


def test_revise_gives_201_with_the_new_draft_and_approval_supersedes(api, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    response = api(cast.lead).post(f"/api/v1/budgets/{budget.pk}/revise/")
    assert response.status_code == 201
    v2 = response.json()
    assert (v2["version"], v2["status"], v2["revised_from"]) == (2, "draft", budget.pk)
    assert api(cast.lead).get(f"/api/v1/budgets/{v2['id']}/diff/").json()[0]["change"] == "unchanged"


def test_expenses_api(api, cast, budget, signers):
    budget_submit(budget=budget, actor=cast.lead)
    approve_all(budget, signers)
    line = budget.lines.get(category="materials")
    body = {"line": line.pk, "amount": "1800000.00", "date": "2027-02-20", "description": "Posters"}
    assert api(cast.viewer).post("/api/v1/expenses/", body, format="json").status_code == 403
    assert api(cast.outsider).post("/api/v1/expenses/", body, format="json").status_code == 400  # line not visible
    response = api(cast.lead).post("/api/v1/expenses/", body, format="json")
    assert response.status_code == 201
    assert api(cast.viewer).get(f"/api/v1/expenses/?budget={budget.pk}").json()["count"] == 1
    assert api(cast.outsider).get("/api/v1/expenses/").json()["count"] == 0
    assert api(cast.lead).get("/api/v1/expenses/?budget=x").status_code == 400
    spent = {
        row["category"]: row["spent"] for row in api(cast.lead).get(f"/api/v1/budgets/{budget.pk}/").json()["lines"]
    }
    assert spent["materials"] == "1800000.00"
    bad = api(cast.lead).post("/api/v1/expenses/", {**body, "amount": "0"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()


# --- Access ------------------------------------------------------------------------------


def test_team_reads_lead_and_deputy_write_member_and_viewer_get_403(api, cast, campaign, budget):
    for person in (cast.lead, cast.deputy, cast.member, cast.viewer, cast.executive):
        assert api(person).get(f"/api/v1/budgets/{budget.pk}/").status_code == 200
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).patch(f"/api/v1/budgets/{budget.pk}/", {"note": "x"}, format="json").status_code == 403
        assert api(person).post(f"/api/v1/budgets/{budget.pk}/submit/").status_code == 403
    assert api(cast.deputy).patch(f"/api/v1/budgets/{budget.pk}/", {"note": "ok"}, format="json").status_code == 200


def test_member_cannot_create_a_budget(api, cast, campaign):
    assert api(cast.member).post("/api/v1/budgets/", payload(campaign), format="json").status_code == 403


def test_outsider_gets_404_and_an_empty_list(api, cast, budget):
    assert api(cast.outsider).get(f"/api/v1/budgets/{budget.pk}/").status_code == 404
    assert api(cast.outsider).post(f"/api/v1/budgets/{budget.pk}/submit/").status_code == 404
    assert api(cast.outsider).get("/api/v1/budgets/").json()["count"] == 0
    assert api(cast.outsider).post("/api/v1/budgets/", payload(budget.campaign), format="json").status_code == 400


def test_approvers_see_only_budgets_awaiting_them_plus_their_campaigns(api, cast, budget, signers):
    finance = api(signers.finance)
    assert finance.get(f"/api/v1/budgets/{budget.pk}/").status_code == 404  # a draft is nobody's business yet
    assert finance.get(f"/api/v1/campaigns/{budget.campaign_id}/").status_code == 404
    budget_submit(budget=budget, actor=cast.lead)
    assert finance.get(f"/api/v1/budgets/{budget.pk}/").status_code == 200
    assert finance.get(f"/api/v1/campaigns/{budget.campaign_id}/").status_code == 200
    queue = finance.get("/api/v1/budgets/awaiting-my-signoff/").json()
    assert [b["id"] for b in queue["results"]] == [budget.pk]
    finance.post(f"/api/v1/budgets/{budget.pk}/signoffs/", {"role": "finance", "decision": "approve"}, format="json")
    assert finance.get("/api/v1/budgets/awaiting-my-signoff/").json()["count"] == 0
    assert api(signers.finance2).get("/api/v1/budgets/awaiting-my-signoff/").json()["count"] == 0
    assert api(signers.marketing).get("/api/v1/budgets/awaiting-my-signoff/").json()["count"] == 1
    assert api(cast.lead).get("/api/v1/budgets/awaiting-my-signoff/").json()["count"] == 0


def test_budget_list_query_count_is_constant(api, cast, campaign, django_assert_max_num_queries):
    import datetime as dt

    from budgets.services import budget_create
    from campaigns.services import campaign_create

    client = api(cast.lead)
    budget_create(actor=cast.lead, campaign=campaign, total="30000000", lines=DEMO_LINES)
    with django_assert_max_num_queries(12) as one:
        client.get("/api/v1/budgets/")
    for i in range(10):
        c = campaign_create(
            actor=cast.lead,
            team=cast.team,
            code=f"Q-{i}",
            name="q",
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 2, 1),
        )
        budget_create(actor=cast.lead, campaign=c, total="30000000", lines=DEMO_LINES)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/api/v1/budgets/").json()["count"] == 11


def test_diff_is_documented_as_the_plain_list_it_answers(api, cast, budget, signers):
    """Found by tests/test_api_fuzz.py: the schema promised a paginated object, the endpoint answers a list."""
    schema = api().get("/api/schema/?format=json").json()
    documented = schema["paths"]["/api/v1/budgets/{id}/diff/"]["get"]["responses"]["200"]
    assert documented["content"]["application/json"]["schema"]["type"] == "array"
    assert api(cast.lead).get(f"/api/v1/budgets/{budget.pk}/diff/").json() == []


@pytest.mark.parametrize("name", ["campaign", "budget"])
def test_an_id_filter_beyond_a_bigint_is_a_400_naming_it(api, cast, budget, name):
    """Found by tests/test_hostile_input.py: ``?campaign=<30 digits>`` overflowed in the database (500)."""
    url = "/api/v1/budgets/" if name == "campaign" else "/api/v1/expenses/"
    response = api(cast.lead).get(url, {name: "9" * 30})
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_an_unknown_status_filter_is_a_400_listing_the_statuses(api, cast, budget):
    """Found by tests/test_hostile_input.py on PostgreSQL: ``?status=%00`` reached the database (500)."""
    client = api(cast.lead)
    for junk in ("\x00", "<script>", "draft' OR '1'='1"):
        response = client.get("/api/v1/budgets/", {"status": junk})
        assert response.status_code == 400
        assert list(response.json()) == ["status"] and "draft" in response.json()["status"][0]
    assert client.get("/api/v1/budgets/", {"status": "draft"}).json()["count"] == 1
