"""The risk API (SPEC 9): contract fields, read-only computed fields, filters and their 400s, the matrix,
acknowledging alerts, reviews, and access for every standing towards the campaign."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaigns.services import campaign_create, task_save
from core.models import AuditEntry
from risks.models import AlertEvent, Risk, RiskReview
from tests.risks.conftest import NOW, TODAY
from tests.risks.test_api_support import add_risk, make_register

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {
    "id", "campaign", "title", "category", "owner", "probability", "impact", "expected_date", "status",
    "contingency_plan", "cost_impact", "score", "band", "alert_level",
}  # fmt: skip


@pytest.fixture
def register(cast, campaign):
    return make_register(cast, campaign)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def new_risk(target, **extra) -> dict:
    return {
        "campaign": target.pk,
        "title": "Posters late from the printer",
        "category": "supply_chain",
        "probability": 3,
        "impact": 4,
        "expected_date": (TODAY + dt.timedelta(days=2)).isoformat(),
        "status": "open",
        "contingency_plan": "Second printer on standby",
        "cost_impact": "120000",
        **extra,
    }


# --- Contract --------------------------------------------------------------------------------------


def test_a_risk_carries_every_contract_field_with_computed_score_band_and_alert_level(api, cast, register):
    body = api(cast.member).get(f"/api/v1/risks/{register.red.pk}/").json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["campaign"] == register.red.campaign_id
    assert (body["probability"], body["impact"], body["score"], body["band"]) == (3, 5, 15, "high")
    assert body["alert_level"] == "red"
    assert body["cost_impact"] == "1500000.00"
    assert body["expected_date"] == TODAY.isoformat()
    assert body["owner"] == cast.member.pk and body["acknowledged_at"] is None


def test_creating_a_risk_sets_its_alert_level_at_once_and_records_the_escalation(api, cast, campaign):
    response = api(cast.member).post("/api/v1/risks/", new_risk(campaign), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["band"], body["alert_level"]) == (12, "high", "yellow")
    assert AlertEvent.objects.filter(risk_id=body["id"], level="yellow", previous_level="none").count() == 1
    assert api(cast.viewer).get(f"/api/v1/risks/{body['id']}/").json()["alert_level"] == "yellow"


def test_writes_of_score_band_and_alert_level_are_ignored(api, cast, campaign):
    client = api(cast.member)
    body = client.post(
        "/api/v1/risks/",
        new_risk(campaign, score=25, band="critical", alert_level="none", acknowledged_at="2027-03-01T00:00:00Z"),
        format="json",
    ).json()
    assert (body["score"], body["band"], body["alert_level"], body["acknowledged_at"]) == (12, "high", "yellow", None)
    patched = client.patch(
        f"/api/v1/risks/{body['id']}/", {"alert_level": "none", "score": 1, "band": "low"}, format="json"
    )
    assert patched.status_code == 200
    risk = Risk.objects.get(pk=body["id"])
    assert (risk.alert_level, risk.score, risk.band) == ("yellow", 12, "high")


def test_changing_the_expected_date_moves_the_alert_level_in_the_same_response(api, cast, register):
    response = api(cast.member).patch(
        f"/api/v1/risks/{register.calm.pk}/", {"expected_date": (TODAY + dt.timedelta(days=6)).isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["alert_level"] == "blue"


def test_put_replaces_the_editable_fields(api, cast, register):
    body = new_risk(register.red.campaign, title="Platform failure (rewritten)", status="mitigated")
    response = api(cast.member).put(f"/api/v1/risks/{register.red.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    register.red.refresh_from_db()
    assert (register.red.title, register.red.status, register.red.alert_level) == (
        "Platform failure (rewritten)", "mitigated", "none",
    )  # fmt: skip


def test_the_owner_must_be_on_the_campaigns_team(api, cast, campaign):
    response = api(cast.member).post("/api/v1/risks/", new_risk(campaign, owner=cast.outsider.pk), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Risk.objects.exists()


def test_a_linked_task_must_belong_to_the_same_campaign(api, cast, campaign):
    second = campaign_create(
        actor=cast.lead, team=cast.team, code="WD-2028", name="Next year", start_date=dt.date(2028, 2, 1),
        end_date=dt.date(2028, 3, 15),
    )  # fmt: skip
    task = task_save(campaign=second, actor=cast.lead, title="Build", start_date=second.start_date,
                     due_date=second.start_date)  # fmt: skip
    response = api(cast.member).post("/api/v1/risks/", new_risk(campaign, task=task.pk), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["task"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("probability", 6), ("impact", 0), ("category", "weather"), ("status", "done"), ("cost_impact", "-5"),
     ("title", ""), ("expected_date", "next week"), ("campaign", "WD")],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field(api, cast, campaign, field, value):
    response = api(cast.member).post("/api/v1/risks/", new_risk(campaign, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Risk.objects.exists()


def test_a_risk_cannot_move_to_another_campaign(api, cast, register):
    second = campaign_create(
        actor=cast.lead, team=cast.team, code="WD-2028", name="Next year", start_date=dt.date(2028, 2, 1),
        end_date=dt.date(2028, 3, 15),
    )  # fmt: skip
    response = api(cast.lead).patch(f"/api/v1/risks/{register.red.pk}/", {"campaign": second.pk}, format="json")
    assert response.status_code == 400 and "campaign" in response.json()
    register.red.refresh_from_db()
    assert register.red.campaign_id != second.pk


def test_deleting_a_risk_is_recorded_in_the_audit_ledger(api, cast, register):
    response = api(cast.member).delete(f"/api/v1/risks/{register.calm.pk}/")
    assert response.status_code == 204
    assert not Risk.objects.filter(pk=register.calm.pk).exists()
    assert AuditEntry.objects.filter(action="risk.deleted", object_id=str(register.calm.pk)).exists()


# --- Filters ---------------------------------------------------------------------------------------


def test_the_list_is_sorted_by_alert_level_then_score(api, cast, register):
    assert titles(api(cast.lead).get("/api/v1/risks/")) == [
        "Platform failure at the peak",  # red, score 15
        "Call-centre overload",  # red, score 12
        "User fatigue",  # yellow
        "Partner brands fail",  # blue
        "Theme too close to last year",  # no alert, score 4
        "Data-pack supply",  # no alert, score 3
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alert_level=red", {"red", "occurred"}),
        ("alert_level=yellow", {"yellow"}),
        ("alert_level=none", {"calm", "mitigated"}),
        ("band=high", {"red", "yellow", "occurred"}),
        ("band=medium", {"blue"}),
        ("band=low", {"calm", "mitigated"}),
        ("band=critical", set()),
        ("status=monitoring", {"blue"}),
        ("category=market", {"yellow", "mitigated"}),
        ("probability=3&impact=5", {"red"}),
        ("alert_level=red&band=high&category=resource", {"occurred"}),
    ],
)
def test_filters_narrow_the_register(api, cast, register, query, expected):
    found = set(titles(api(cast.lead).get(f"/api/v1/risks/?{query}")))
    assert found == {getattr(register, name).title for name in expected}


def test_owner_and_campaign_filters(api, cast, register):
    client = api(cast.executive)
    assert set(titles(client.get(f"/api/v1/risks/?owner={cast.deputy.pk}"))) == {register.blue.title}
    assert set(titles(client.get(f"/api/v1/risks/?campaign={register.other_campaign.pk}"))) == {register.other.title}
    assert len(titles(client.get(f"/api/v1/risks/?campaign={register.red.campaign_id}"))) == 6


@pytest.mark.parametrize(
    ("param", "value"),
    [("campaign", "abc"), ("campaign", "0"), ("alert_level", "purple"), ("band", "huge"), ("status", "done"),
     ("owner", "me"), ("category", "weather"), ("probability", "6"), ("impact", "x")],
)  # fmt: skip
def test_a_malformed_filter_is_400_naming_the_parameter(api, cast, register, param, value):
    response = api(cast.lead).get(f"/api/v1/risks/?{param}={value}")
    assert response.status_code == 400
    assert list(response.json()) == [param]


# --- Access ----------------------------------------------------------------------------------------


def test_outsiders_see_an_empty_list_and_get_404_on_every_risk_endpoint(api, cast, register):
    client = api(cast.outsider)
    assert titles(client.get("/api/v1/risks/")) == [register.other.title]
    assert titles(client.get(f"/api/v1/risks/?campaign={register.red.campaign_id}")) == []
    pk = register.red.pk
    assert client.get(f"/api/v1/risks/{pk}/").status_code == 404
    assert client.patch(f"/api/v1/risks/{pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.put(f"/api/v1/risks/{pk}/", {}, format="json").status_code == 404
    assert client.delete(f"/api/v1/risks/{pk}/").status_code == 404
    assert client.post(f"/api/v1/risks/{pk}/acknowledge/").status_code == 404
    assert client.get(f"/api/v1/risks/{pk}/reviews/").status_code == 404
    assert client.post(f"/api/v1/risks/{pk}/reviews/", {"probability": 1, "impact": 1}).status_code == 404
    created = client.post("/api/v1/risks/", new_risk(register.red.campaign), format="json")
    assert created.status_code == 400 and "campaign" in created.json()  # "not available to you", nothing revealed
    assert Risk.objects.get(pk=pk).title == "Platform failure at the peak"


@pytest.mark.parametrize("person", ["viewer", "executive"])
def test_read_only_people_read_but_get_403_on_every_write(api, cast, register, person):
    client = api(getattr(cast, person))
    pk = register.red.pk
    assert len(titles(client.get("/api/v1/risks/"))) >= 6
    assert client.get(f"/api/v1/risks/{pk}/").status_code == 200
    assert client.get(f"/api/v1/risks/{pk}/reviews/").status_code == 200
    assert client.post("/api/v1/risks/", new_risk(register.red.campaign), format="json").status_code == 403
    assert client.patch(f"/api/v1/risks/{pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.put(f"/api/v1/risks/{pk}/", new_risk(register.red.campaign), format="json").status_code == 403
    assert client.delete(f"/api/v1/risks/{pk}/").status_code == 403
    assert client.post(f"/api/v1/risks/{pk}/reviews/", {"probability": 1, "impact": 1}).status_code == 403
    assert client.post(f"/api/v1/risks/{pk}/acknowledge/").status_code == 403
    assert Risk.objects.count() == 7 and Risk.objects.get(pk=pk).title == "Platform failure at the peak"
    assert not RiskReview.objects.exists()


@pytest.mark.parametrize("person", ["lead", "deputy", "member"])
def test_the_team_writes_risks(api, cast, campaign, person):
    client = api(getattr(cast, person))
    created = client.post("/api/v1/risks/", new_risk(campaign), format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert client.patch(f"/api/v1/risks/{pk}/", {"impact": 5}, format="json").json()["score"] == 15
    assert client.delete(f"/api/v1/risks/{pk}/").status_code == 204


def test_the_api_needs_authentication(api, register):
    assert api().get("/api/v1/risks/").status_code == 401
    assert api().get("/api/v1/risks/matrix/").status_code == 401


# --- Matrix ----------------------------------------------------------------------------------------


def cells(response) -> dict[tuple[int, int], int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["cells"]
    assert len(body["cells"]) == 25
    assert [(c["probability"], c["impact"]) for c in body["cells"]] == [
        (p, i) for p in range(1, 6) for i in range(1, 6)
    ]
    return {(c["probability"], c["impact"]): c["count"] for c in body["cells"]}


def test_the_matrix_has_25_cells_counting_live_risks_only(api, cast, register):
    counts = cells(api(cast.viewer).get(f"/api/v1/risks/matrix/?campaign={register.red.campaign_id}"))
    assert {key: n for key, n in counts.items() if n} == {(3, 5): 1, (3, 4): 1, (2, 4): 1, (1, 3): 1, (4, 3): 1}
    assert counts[(2, 2)] == 0  # the mitigated risk carries no exposure


def test_the_matrix_across_campaigns_counts_only_what_the_user_sees(api, cast, register):
    add_risk(register.red.campaign, cast.lead, title="Second 3×3", probability=3, impact=3)
    assert cells(api(cast.lead).get("/api/v1/risks/matrix/"))[(3, 3)] == 1
    assert cells(api(cast.executive).get("/api/v1/risks/matrix/"))[(3, 3)] == 2
    assert sum(cells(api(cast.executive).get("/api/v1/risks/matrix/")).values()) == 7


def test_outsiders_get_zeros_for_a_campaign_they_cannot_see(api, cast, register):
    client = api(cast.outsider)
    assert set(cells(client.get(f"/api/v1/risks/matrix/?campaign={register.red.campaign_id}")).values()) == {0}
    assert {k: n for k, n in cells(client.get("/api/v1/risks/matrix/")).items() if n} == {(3, 3): 1}


def test_the_matrix_campaign_parameter_is_validated(api, cast, register):
    response = api(cast.lead).get("/api/v1/risks/matrix/?campaign=WD-2027")
    assert response.status_code == 400 and list(response.json()) == ["campaign"]


def test_the_matrix_is_one_aggregate_query(api, cast, register, django_assert_max_num_queries):
    client = api(cast.lead)
    client.get("/api/v1/risks/matrix/")  # warm the session
    # the requester's roles and teams (2) and the aggregate (1)
    with django_assert_max_num_queries(3):
        cells(client.get(f"/api/v1/risks/matrix/?campaign={register.red.campaign_id}"))


# --- Acknowledge -----------------------------------------------------------------------------------


def test_the_owner_acknowledges_an_alert(api, cast, register):
    response = api(cast.member).post(f"/api/v1/risks/{register.red.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"] is not None and response.json()["alert_level"] == "red"
    register.red.refresh_from_db()
    assert register.red.acknowledged_by == cast.member


@pytest.mark.parametrize("person", ["lead", "deputy"])
def test_the_campaigns_lead_or_deputy_acknowledges_someone_elses_alert(api, cast, register, person):
    assert api(getattr(cast, person)).post(f"/api/v1/risks/{register.yellow.pk}/acknowledge/").status_code == 200


@pytest.mark.parametrize("person", ["member", "viewer", "executive"])
def test_others_may_not_acknowledge(api, cast, register, person):
    # The blue risk belongs to the deputy: a member who is not its owner may not acknowledge it.
    response = api(getattr(cast, person)).post(f"/api/v1/risks/{register.blue.pk}/acknowledge/")
    assert response.status_code == 403
    register.blue.refresh_from_db()
    assert register.blue.acknowledged_at is None


def test_acknowledging_without_an_alert_or_twice_is_409(api, cast, register):
    client = api(cast.lead)
    assert client.post(f"/api/v1/risks/{register.calm.pk}/acknowledge/").status_code == 409
    assert client.post(f"/api/v1/risks/{register.red.pk}/acknowledge/").status_code == 200
    second = client.post(f"/api/v1/risks/{register.red.pk}/acknowledge/")
    assert second.status_code == 409 and "detail" in second.json()


# --- Reviews ---------------------------------------------------------------------------------------


def test_a_review_re_rates_the_risk_and_is_listed_with_the_previous_score(api, cast, register):
    client = api(cast.member)
    response = client.post(
        f"/api/v1/risks/{register.red.pk}/reviews/",
        {"probability": 2, "impact": 5, "notes": "Backup servers booked"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reviewed_on"] == TODAY.isoformat()  # defaults to the campaign's today
    assert (body["previous_score"], body["score"], body["reviewer"]) == (15, 10, cast.member.pk)
    register.red.refresh_from_db()
    assert (register.red.probability, register.red.score) == (2, 10)
    listing = client.get(f"/api/v1/risks/{register.red.pk}/reviews/").json()
    assert listing["count"] == 1 and listing["results"][0]["notes"] == "Backup servers booked"


def test_a_review_with_a_bad_rating_is_400(api, cast, register):
    response = api(cast.member).post(
        f"/api/v1/risks/{register.red.pk}/reviews/", {"probability": 9, "impact": 5}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["probability"]
    assert not RiskReview.objects.exists()


# --- Query counts ----------------------------------------------------------------------------------


def grow(cast, campaigns: int) -> None:
    for n in range(campaigns):
        campaign = campaign_create(
            actor=cast.lead, team=cast.team, code=f"Q-{n}", name=f"Q {n}", start_date=dt.date(2027, 2, 1),
            end_date=dt.date(2027, 3, 31),
        )  # fmt: skip
        for days, owner in ((0, cast.member), (3, cast.deputy), (None, None)):
            add_risk(campaign, cast.lead, title=f"Q{n}-{days}", days=days, owner=owner, cost_impact="1000")


@pytest.mark.parametrize("campaigns", [2, 20])
def test_the_list_runs_a_constant_number_of_queries(api, cast, django_assert_max_num_queries, campaigns):
    grow(cast, campaigns)
    client = api(cast.viewer)
    # the requester's roles and teams (2), the count and the page (2)
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/risks/?page_size=200").json()
    assert body["count"] == campaigns * 3
    with django_assert_max_num_queries(3):
        assert sum(c["count"] for c in client.get("/api/v1/risks/matrix/").json()["cells"]) == campaigns * 3


def test_absurd_ids_are_400_or_404_never_a_crash(api, cast, register):
    client = api(cast.lead)
    huge = "99999999999999999999999"
    assert client.get(f"/api/v1/risks/?campaign={huge}").status_code == 400
    assert client.get(f"/api/v1/risks/?owner={huge}").status_code == 400
    assert client.get(f"/api/v1/risks/matrix/?campaign={huge}").status_code == 400
    assert client.get(f"/api/v1/risks/{huge}/").status_code == 404
    assert client.post(f"/api/v1/risks/{huge}/acknowledge/").status_code == 404
    assert client.post("/api/v1/risks/", new_risk(register.red.campaign, owner=huge), format="json").status_code == 400
