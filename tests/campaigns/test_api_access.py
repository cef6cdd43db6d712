"""Every campaigns API endpoint with the people of STYLE: the owner (lead), lesser teammates (member, viewer),
an outsider who must get 404 or an empty list, and an executive who reads everything but writes nothing."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Channel, Kpi, KpiReading, Milestone, Phase, Playbook, Task
from tests.campaigns.test_api_support import (
    day,
    make_campaign,
    make_channel,
    make_kpi,
    make_milestone,
    make_phase,
    make_task,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(cast):
    campaign = make_campaign(cast)
    phase = make_phase(campaign)
    kpi = make_kpi(campaign)
    return {
        "campaign": campaign,
        "phases": phase,
        "milestones": make_milestone(phase),
        "tasks": make_task(campaign, "A", 1, 3, phase=phase),
        "kpis": kpi,
        "channels": make_channel(campaign),
    }


# Per resource: a valid create payload, a valid change, and the model.
PARTS = {
    "phases": (
        lambda p: {"campaign": p["campaign"].pk, "name": "新階段", "start_date": str(day(2)), "end_date": str(day(4))},
        {"name": "改名"},
        Phase,
    ),
    "milestones": (
        lambda p: {"phase": p["phases"].pk, "name": "新節點", "due_date": str(day(5))},
        {"done": True},
        Milestone,
    ),
    "tasks": (
        lambda p: {"campaign": p["campaign"].pk, "title": "新任務", "start_date": str(day(2)), "due_date": str(day(4))},
        {"progress": 50},
        Task,
    ),
    "kpis": (
        lambda p: {"campaign": p["campaign"].pk, "name": "新增用戶", "target": "1000000"},
        {"target": "2000000"},
        Kpi,
    ),
    "channels": (
        lambda p: {"campaign": p["campaign"].pk, "type": "sms", "name": "短信"},
        {"reach_target": 5000},
        Channel,
    ),
}


def rows(model) -> list:
    return list(model.objects.order_by("pk").values())


# --- Campaigns ----------------------------------------------------------------------------------


def test_campaign_list_owner_viewer_outsider_executive(api, cast, plan):
    campaign = plan["campaign"]
    for person in (cast.lead, cast.viewer, cast.executive):
        assert [c["id"] for c in api(person).get("/api/v1/campaigns/").json()["results"]] == [campaign.pk], person
    body = api(cast.outsider).get("/api/v1/campaigns/").json()
    assert (body["count"], body["results"]) == (0, [])
    assert api(cast.outsider).get(f"/api/v1/campaigns/?team={cast.team.pk}").json()["count"] == 0


def test_campaign_detail_owner_viewer_outsider_executive(api, cast, plan):
    url = f"/api/v1/campaigns/{plan['campaign'].pk}/"
    for person in (cast.lead, cast.member, cast.viewer, cast.executive, cast.admin):
        assert api(person).get(url).status_code == 200, person
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.finance).get(url).status_code == 404  # an approver with nothing to sign here
    assert api().get(url).status_code == 401


def test_campaign_patch_needs_lead_or_deputy(api, cast, plan):
    campaign = plan["campaign"]
    url = f"/api/v1/campaigns/{campaign.pk}/"
    assert api(cast.outsider).patch(url, {"name": "x"}, format="json").status_code == 404
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).patch(url, {"name": "x"}, format="json").status_code == 403, person
    campaign.refresh_from_db()
    assert campaign.name != "x"
    assert api(cast.deputy).patch(url, {"name": "deputy"}, format="json").status_code == 200
    assert api(cast.admin).patch(url, {"name": "admin"}, format="json").status_code == 200


def test_campaign_transition_needs_lead_or_deputy(api, cast, plan):
    campaign = plan["campaign"]
    url = f"/api/v1/campaigns/{campaign.pk}/transition/"
    payload = {"status": "planning"}
    # Access is decided before the body is read: an outsider learns nothing even from a bad body.
    assert api(cast.outsider).post(url, {"status": "nonsense"}, format="json").status_code == 404
    assert api(cast.outsider).post(url, payload, format="json").status_code == 404
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).post(url, payload, format="json").status_code == 403, person
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert api(cast.lead).post(url, payload, format="json").status_code == 200


def test_campaign_schedule_is_read_access(api, cast, plan):
    url = f"/api/v1/campaigns/{plan['campaign'].pk}/schedule/"
    for person in (cast.lead, cast.viewer, cast.executive):
        assert api(person).get(url).status_code == 200, person
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.lead).post(url, {}, format="json").status_code == 405


def test_campaign_copy_reads_the_source_and_needs_lead_in_the_target(api, cast, plan):
    url = f"/api/v1/campaigns/{plan['campaign'].pk}/copy/"
    payload = {"code": "COPY-1", "name": "copy", "start_date": "2028-02-10"}
    assert api(cast.outsider).post(url, payload, format="json").status_code == 404
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).post(url, payload, format="json").status_code == 403, person
    assert not Campaign.objects.filter(code="COPY-1").exists()
    response = api(cast.deputy).post(url, payload, format="json")
    assert response.status_code == 201
    assert response.json()["team"] == cast.team.pk


def test_campaign_copy_into_an_own_other_team_by_its_lead(api, cast, plan):
    """The outsider leads 渠道拓展組: once they may read the source they may copy it into their own team."""
    from core.roles import TeamRole
    from tests.factories import MembershipFactory

    MembershipFactory(team=cast.team, user=cast.outsider, role=TeamRole.VIEWER)
    own_team = cast.outsider.memberships.exclude(team=cast.team).get().team
    Task.objects.filter(pk=plan["tasks"].pk).update(owner=cast.member)
    response = api(cast.outsider).post(
        f"/api/v1/campaigns/{plan['campaign'].pk}/copy/",
        {"code": "CH-COPY", "name": "copy", "start_date": "2028-02-10", "team": own_team.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["team"], response.json()["lead"]) == (own_team.pk, cast.outsider.pk)
    # Our member is not on their team, so the copied task has no owner rather than a stranger.
    copied = Task.objects.get(campaign_id=response.json()["id"])
    assert copied.owner is None


def test_save_as_playbook_needs_lead_or_deputy(api, cast, plan):
    url = f"/api/v1/campaigns/{plan['campaign'].pk}/save-as-playbook/"
    payload = {"code": "pb-x", "name": "x"}
    assert api(cast.outsider).post(url, payload, format="json").status_code == 404
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).post(url, payload, format="json").status_code == 403, person
    assert not Playbook.objects.filter(code="pb-x").exists()
    assert api(cast.lead).post(url, payload, format="json").status_code == 201


def test_campaign_create_access(api, cast):
    payload = {"code": "NEW", "name": "n", "team": cast.team.pk, "start_date": "2027-01-01", "end_date": "2027-01-02"}
    assert api(cast.outsider).post("/api/v1/campaigns/", payload, format="json").status_code == 400
    for person in (cast.member, cast.viewer, cast.executive):
        assert api(person).post("/api/v1/campaigns/", payload, format="json").status_code == 403, person
    assert api().post("/api/v1/campaigns/", payload, format="json").status_code == 401
    assert not Campaign.objects.exists()
    assert api(cast.lead).post("/api/v1/campaigns/", payload, format="json").status_code == 201


def test_playbooks_read_by_anyone_signed_in(api, cast):
    festival = Playbook.objects.get(code="festival")
    for person in (cast.lead, cast.viewer, cast.outsider, cast.executive, cast.finance):
        client = api(person)
        assert client.get("/api/v1/playbooks/").json()["count"] >= 2, person
        assert client.get(f"/api/v1/playbooks/{festival.pk}/").status_code == 200, person
        assert client.patch(f"/api/v1/playbooks/{festival.pk}/", {"name": "x"}, format="json").status_code == 405


# --- Parts of the plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_list_owner_viewer_outsider_executive(api, cast, plan, resource):
    pk = plan[resource].pk
    campaign = plan["campaign"].pk
    for person in (cast.lead, cast.viewer, cast.executive):
        body = api(person).get(f"/api/v1/{resource}/?campaign={campaign}").json()
        assert [r["id"] for r in body["results"]] == [pk], person
    for url in (f"/api/v1/{resource}/", f"/api/v1/{resource}/?campaign={campaign}"):
        body = api(cast.outsider).get(url).json()
        assert (body["count"], body["results"]) == (0, []), url


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_detail_owner_viewer_outsider_executive(api, cast, plan, resource):
    url = f"/api/v1/{resource}/{plan[resource].pk}/"
    for person in (cast.lead, cast.viewer, cast.executive):
        assert api(person).get(url).status_code == 200, person
    assert api(cast.outsider).get(url).status_code == 404


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_create_member_yes_viewer_and_executive_403_outsider_never_told(api, cast, plan, resource):
    make_payload, _change, model = PARTS[resource]
    payload = make_payload(plan)
    before = rows(model)
    for person in (cast.viewer, cast.executive):
        assert api(person).post(f"/api/v1/{resource}/", payload, format="json").status_code == 403, person
    refused = api(cast.outsider).post(f"/api/v1/{resource}/", payload, format="json")
    assert refused.status_code == 400  # the campaign (or phase) field is refused as for an id that does not exist
    if refused.status_code == 400:
        # The same words as for an id that does not exist: the campaign's existence is not revealed.
        text = str(refused.json())
        assert "available to you" in text
    assert rows(model) == before
    created = api(cast.member).post(f"/api/v1/{resource}/", payload, format="json")
    assert created.status_code == 201, created.json()


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_update_member_yes_viewer_and_executive_403_outsider_404(api, cast, plan, resource):
    _make, change, model = PARTS[resource]
    url = f"/api/v1/{resource}/{plan[resource].pk}/"
    before = rows(model)
    assert api(cast.outsider).patch(url, change, format="json").status_code == 404
    for person in (cast.viewer, cast.executive):
        assert api(person).patch(url, change, format="json").status_code == 403, person
    assert rows(model) == before
    assert api(cast.member).patch(url, change, format="json").status_code == 200
    assert rows(model) != before


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_full_update_follows_the_same_rules(api, cast, plan, resource):
    make_payload, _change, model = PARTS[resource]
    url = f"/api/v1/{resource}/{plan[resource].pk}/"
    payload = make_payload(plan)
    assert api(cast.outsider).put(url, payload, format="json").status_code == 404
    assert api(cast.viewer).put(url, payload, format="json").status_code == 403
    response = api(cast.lead).put(url, payload, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("resource", list(PARTS))
def test_part_delete_member_yes_viewer_and_executive_403_outsider_404(api, cast, plan, resource):
    model = PARTS[resource][2]
    pk = plan[resource].pk
    url = f"/api/v1/{resource}/{pk}/"
    assert api(cast.outsider).delete(url).status_code == 404
    for person in (cast.viewer, cast.executive):
        assert api(person).delete(url).status_code == 403, person
    assert model.objects.filter(pk=pk).exists()
    assert api(cast.member).delete(url).status_code == 204
    assert not model.objects.filter(pk=pk).exists()


def test_kpi_readings_owner_viewer_outsider_executive(api, cast, plan):
    url = f"/api/v1/kpis/{plan['kpis'].pk}/readings/"
    payload = {"date": "2027-03-01", "actual": "20", "forecast": "25"}
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.outsider).post(url, payload, format="json").status_code == 404
    for person in (cast.viewer, cast.executive):
        assert api(person).get(url).status_code == 200, person
        assert api(person).post(url, payload, format="json").status_code == 403, person
    assert not KpiReading.objects.exists()
    assert api(cast.member).post(url, payload, format="json").status_code == 201
    assert api(cast.viewer).get(url).json()["count"] == 1


def test_a_part_cannot_be_created_in_another_teams_campaign_even_by_its_ids(api, cast, plan):
    """The outsider names our phase in a milestone and our task in a dependency: both read as missing."""
    from tests.campaigns.test_api_support import outsider_campaign

    theirs = outsider_campaign(cast)
    their_task = make_task(theirs, "theirs", 1, 2)
    milestone = api(cast.outsider).post(
        "/api/v1/milestones/", {"phase": plan["phases"].pk, "name": "x", "due_date": "2027-02-12"}, format="json"
    )
    assert (milestone.status_code, set(milestone.json())) == (400, {"phase"})
    task = api(cast.outsider).patch(
        f"/api/v1/tasks/{their_task.pk}/", {"depends_on": [plan["tasks"].pk]}, format="json"
    )
    assert (task.status_code, set(task.json())) == (400, {"depends_on"})
    assert not their_task.depends_on.exists()
