"""The campaigns REST API (SPEC 9): contract fields, actions, schedule, playbooks, copies, plan parts, KPIs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaigns.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskDependency,
)
from core.models import AuditEntry
from tests.campaigns.test_api_support import (
    START,
    day,
    make_campaign,
    make_channel,
    make_kpi,
    make_milestone,
    make_phase,
    make_reading,
    make_task,
    outsider_campaign,
)

pytestmark = pytest.mark.django_db

CAMPAIGN_FIELDS = {"id", "code", "name", "objective", "team", "lead", "start_date", "end_date", "status"}


def new_campaign_payload(cast, **overrides) -> dict:
    payload = {
        "code": "WD-2027",
        "name": "女神節 Women's Day",
        "objective": "Reach 1 M new users by 8 March",
        "team": cast.team.pk,
        "start_date": "2027-02-10",
        "end_date": "2027-03-15",
    }
    payload.update(overrides)
    return payload


# --- Campaigns -------------------------------------------------------------------------------


def test_lead_creates_a_draft_campaign_led_by_themselves(api, cast):
    response = api(cast.lead).post("/api/v1/campaigns/", new_campaign_payload(cast), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= CAMPAIGN_FIELDS
    assert body["status"] == "draft"
    assert body["lead"] == cast.lead.pk
    assert body["team"] == cast.team.pk
    assert (body["start_date"], body["end_date"]) == ("2027-02-10", "2027-03-15")
    assert body["allowed_transitions"] == ["planning", "cancelled"]
    campaign = Campaign.objects.get(pk=body["id"])
    assert (campaign.code, campaign.lead, campaign.status) == ("WD-2027", cast.lead, "draft")
    assert AuditEntry.objects.filter(action="campaign.created").count() == 1


def test_a_status_in_the_create_payload_is_ignored(api, cast):
    body = (
        api(cast.deputy).post("/api/v1/campaigns/", new_campaign_payload(cast, status="active"), format="json").json()
    )
    assert body["status"] == "draft"
    assert body["lead"] == cast.deputy.pk


def test_the_lead_may_be_another_member_of_the_team_but_not_a_viewer(api, cast):
    ok = api(cast.lead).post("/api/v1/campaigns/", new_campaign_payload(cast, lead=cast.member.pk), format="json")
    assert ok.status_code == 201
    assert ok.json()["lead"] == cast.member.pk
    refused = api(cast.lead).post(
        "/api/v1/campaigns/", new_campaign_payload(cast, code="X-1", lead=cast.viewer.pk), format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"lead"}


def test_members_viewers_and_executives_may_not_create_campaigns(api, cast):
    for person in (cast.member, cast.viewer, cast.executive):
        response = api(person).post("/api/v1/campaigns/", new_campaign_payload(cast), format="json")
        assert response.status_code == 403, person
    assert not Campaign.objects.exists()


def test_a_team_the_user_cannot_see_is_refused_like_a_missing_one(api, cast):
    hidden = api(cast.outsider).post("/api/v1/campaigns/", new_campaign_payload(cast), format="json")
    missing = api(cast.outsider).post("/api/v1/campaigns/", new_campaign_payload(cast, team=999999), format="json")
    assert hidden.status_code == missing.status_code == 400
    assert set(hidden.json()) == {"team"}
    assert hidden.json()["team"] == [f"No team with id {cast.team.pk} is available to you."]
    assert missing.json()["team"] == ["No team with id 999999 is available to you."]
    assert not Campaign.objects.exists()


def test_admin_creates_in_any_team(api, cast):
    response = api(cast.admin).post("/api/v1/campaigns/", new_campaign_payload(cast, lead=cast.lead.pk), format="json")
    assert response.status_code == 201


def test_campaign_create_errors_are_field_by_field(api, cast):
    client = api(cast.lead)
    missing = client.post("/api/v1/campaigns/", {}, format="json")
    assert missing.status_code == 400
    assert {"code", "name", "team", "start_date"} <= set(missing.json())
    backwards = client.post("/api/v1/campaigns/", new_campaign_payload(cast, end_date="2027-01-01"), format="json")
    assert (backwards.status_code, set(backwards.json())) == (400, {"end_date"})
    no_end = new_campaign_payload(cast)
    del no_end["end_date"]
    assert set(client.post("/api/v1/campaigns/", no_end, format="json").json()) == {"end_date"}
    make_campaign(cast, "WD-2027")
    duplicate = client.post("/api/v1/campaigns/", new_campaign_payload(cast, code="wd-2027"), format="json")
    assert (duplicate.status_code, set(duplicate.json())) == (400, {"code"})
    assert Campaign.objects.count() == 1


def test_creating_from_a_playbook_builds_phases_tasks_and_dependencies(api, cast):
    festival = Playbook.objects.get(code="festival")
    payload = new_campaign_payload(cast, playbook=festival.pk)
    del payload["end_date"]
    response = api(cast.lead).post("/api/v1/campaigns/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["playbook"] == festival.pk
    assert body["end_date"] == str(START + dt.timedelta(days=festival.duration_days - 1))
    campaign = Campaign.objects.get(pk=body["id"])
    definition = festival.definition
    assert campaign.phases.count() == len(definition["phases"])
    assert campaign.milestones.count() == len(definition["milestones"])
    assert campaign.tasks.count() == len(definition["tasks"])
    expected_edges = sum(len(t["depends_on"]) for t in definition["tasks"])
    assert TaskDependency.objects.filter(successor__campaign=campaign).count() == expected_edges
    assert body["task_count"] == len(definition["tasks"])
    # The API shows the dependencies by id.
    tasks = api(cast.lead).get(f"/api/v1/tasks/?campaign={campaign.pk}&page_size=200").json()["results"]
    by_title = {t["title"]: t for t in tasks}
    launch = next(t for title, t in by_title.items() if title.startswith("全渠道上線"))
    assert len(launch["depends_on"]) == 3


def test_creating_from_a_playbook_keeps_departments_and_time_zone(api, cast):
    festival = Playbook.objects.get(code="festival")
    department = cast.lead.department
    payload = new_campaign_payload(
        cast, playbook=festival.pk, departments=[department.pk], time_zone="Europe/Berlin", end_date=None
    )
    body = api(cast.lead).post("/api/v1/campaigns/", payload, format="json").json()
    assert body["departments"] == [department.pk]
    assert body["time_zone"] == "Europe/Berlin"


def test_campaign_list_filters_by_status_and_team(api, cast):
    make_campaign(cast, "A")
    make_campaign(cast, "B", status=CampaignStatus.ACTIVE)
    outsider_campaign(cast)
    client = api(cast.lead)
    assert [c["code"] for c in client.get("/api/v1/campaigns/?status=active").json()["results"]] == ["B"]
    assert client.get(f"/api/v1/campaigns/?team={cast.team.pk}").json()["count"] == 2
    other_team = Campaign.objects.get(code="CH-API").team_id
    assert client.get(f"/api/v1/campaigns/?team={other_team}").json()["count"] == 0
    assert client.get("/api/v1/campaigns/?status=").json()["count"] == 2


def test_campaign_list_refuses_malformed_filters(api, cast):
    client = api(cast.lead)
    bad_status = client.get("/api/v1/campaigns/?status=finished")
    assert bad_status.status_code == 400
    assert set(bad_status.json()) == {"status"}
    bad_team = client.get("/api/v1/campaigns/?team=abc")
    assert bad_team.status_code == 400
    assert set(bad_team.json()) == {"team"}


def test_lead_patches_the_header_and_the_audit_records_it(api, cast):
    campaign = make_campaign(cast)
    response = api(cast.deputy).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"name": "新名字", "end_date": "2027-03-20"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "新名字"
    campaign.refresh_from_db()
    assert (campaign.name, campaign.end_date) == ("新名字", dt.date(2027, 3, 20))
    assert AuditEntry.objects.filter(action="campaign.updated").exists()


def test_status_and_team_cannot_be_patched(api, cast):
    campaign = make_campaign(cast)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    response = api(cast.lead).patch(url, {"status": "active", "team": 999}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "team"}
    # Sending back what GET returned is fine.
    echo = api(cast.lead).get(url).json()
    assert api(cast.lead).patch(url, echo, format="json").status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_patching_dates_backwards_or_a_closed_campaign_is_refused(api, cast):
    campaign = make_campaign(cast)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    backwards = api(cast.lead).patch(url, {"end_date": "2027-01-01"}, format="json")
    assert (backwards.status_code, set(backwards.json())) == (400, {"end_date"})
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    assert api(cast.lead).patch(url, {"name": "x"}, format="json").status_code == 409
    campaign.refresh_from_db()
    assert campaign.name != "x"


def test_campaigns_are_not_deleted_through_the_api(api, cast):
    campaign = make_campaign(cast)
    assert api(cast.admin).delete(f"/api/v1/campaigns/{campaign.pk}/").status_code == 405
    assert Campaign.objects.filter(pk=campaign.pk).exists()


# --- Transitions ---------------------------------------------------------------------------------


def test_transitions_walk_the_lifecycle(api, cast):
    campaign = make_campaign(cast)
    url = f"/api/v1/campaigns/{campaign.pk}/transition/"
    for target in ("planning", "active", "closing", "closed"):
        response = api(cast.lead).post(url, {"status": target}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == target
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert response.json()["allowed_transitions"] == []


def test_an_illegal_transition_is_a_conflict(api, cast):
    campaign = make_campaign(cast)
    url = f"/api/v1/campaigns/{campaign.pk}/transition/"
    response = api(cast.lead).post(url, {"status": "closed"}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()
    assert api(cast.lead).post(url, {"status": "cancelled"}, format="json").status_code == 200
    assert api(cast.lead).post(url, {"status": "planning"}, format="json").status_code == 409
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"


@pytest.mark.parametrize("payload", [{"status": "finished"}, {}, {"status": None}, {"status": 3}, ["planning"]])
def test_an_unknown_or_missing_transition_status_is_400(api, cast, payload):
    campaign = make_campaign(cast)
    response = api(cast.lead).post(f"/api/v1/campaigns/{campaign.pk}/transition/", payload, format="json")
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.status == "draft"


# --- Schedule --------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC), tick=False)
def test_schedule_of_a_diamond_matches_the_hand_computed_critical_path(api, cast):
    campaign = make_campaign(cast)
    a = make_task(campaign, "A", 1, 3)
    b = make_task(campaign, "B", 4, 8, after=[a])
    c = make_task(campaign, "C", 4, 5, after=[a])
    d = make_task(campaign, "D", 9, 10, after=[b, c])
    response = api(cast.viewer).get(f"/api/v1/campaigns/{campaign.pk}/schedule/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"tasks", "critical_path", "projected_end"}
    rows = {row["task"]: row for row in body["tasks"]}
    assert set(rows[a.pk]) == {
        "task",
        "earliest_start",
        "earliest_finish",
        "latest_start",
        "latest_finish",
        "float_days",
        "critical",
    }
    assert [rows[t.pk]["float_days"] for t in (a, b, c, d)] == [0, 0, 3, 0]
    assert [rows[t.pk]["critical"] for t in (a, b, c, d)] == [True, True, False, True]
    assert rows[c.pk] == {
        "task": c.pk,
        "earliest_start": str(day(4)),
        "earliest_finish": str(day(5)),
        "latest_start": str(day(7)),
        "latest_finish": str(day(8)),
        "float_days": 3,
        "critical": False,
    }
    assert body["critical_path"] == [a.pk, b.pk, d.pk]
    assert body["projected_end"] == str(day(10)) == "2027-02-19"


def test_schedule_of_a_campaign_without_tasks_is_empty(api, cast):
    campaign = make_campaign(cast)
    body = api(cast.lead).get(f"/api/v1/campaigns/{campaign.pk}/schedule/").json()
    assert body == {"tasks": [], "critical_path": [], "projected_end": None}


# --- Copy and save as playbook -------------------------------------------------------------------


def test_copy_shifts_every_date_by_the_same_delta(api, cast):
    source = make_campaign(cast, "WD-2026", start_date=START, end_date=day(30))
    prep = make_phase(source, "準備期", 1, 10)
    make_phase(source, "執行期", 11, 20, order=2)
    make_milestone(prep, "物料終稿", 8)
    research = make_task(source, "用戶調研", 1, 5, phase=prep)
    make_task(source, "權益包設計", 6, 9, phase=prep, after=[research])
    make_kpi(source)
    shift = dt.timedelta(days=365)
    response = api(cast.lead).post(
        f"/api/v1/campaigns/{source.pk}/copy/",
        {"code": "WD-2027", "name": "女神節 2027", "start_date": str(START + shift)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["status"], body["copied_from"]) == ("WD-2027", "draft", source.pk)
    copy = Campaign.objects.get(pk=body["id"])
    assert (copy.start_date, copy.end_date) == (source.start_date + shift, source.end_date + shift)

    def dates(campaign):
        return {
            "phases": sorted((p.name, p.start_date, p.end_date) for p in campaign.phases.all()),
            "milestones": sorted((m.name, m.due_date) for m in campaign.milestones.all()),
            "tasks": sorted((t.title, t.start_date, t.due_date) for t in campaign.tasks.all()),
        }

    before, after = dates(source), dates(copy)
    assert after["phases"] == [(n, s + shift, e + shift) for n, s, e in before["phases"]]
    assert after["milestones"] == [(n, d + shift) for n, d in before["milestones"]]
    assert after["tasks"] == [(n, s + shift, e + shift) for n, s, e in before["tasks"]]
    assert TaskDependency.objects.filter(successor__campaign=copy).count() == 1
    assert copy.kpis.count() == 1


def test_copy_into_a_team_where_the_user_is_not_lead_is_refused(api, cast):
    source = make_campaign(cast)
    url = f"/api/v1/campaigns/{source.pk}/copy/"
    payload = {"code": "C-1", "name": "copy", "start_date": "2028-01-01"}
    assert api(cast.viewer).post(url, payload, format="json").status_code == 403
    other_team = outsider_campaign(cast).team_id
    hidden_team = api(cast.lead).post(url, {**payload, "team": other_team}, format="json")
    assert (hidden_team.status_code, set(hidden_team.json())) == (400, {"team"})
    assert not Campaign.objects.filter(code="C-1").exists()


def test_copy_needs_code_name_and_a_valid_start_date(api, cast):
    source = make_campaign(cast)
    response = api(cast.lead).post(f"/api/v1/campaigns/{source.pk}/copy/", {"start_date": "31/12/2027"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "name", "start_date"}


def test_save_as_playbook_captures_the_plan(api, cast):
    campaign = make_campaign(cast)
    prep = make_phase(campaign)
    a = make_task(campaign, "A", 1, 3, phase=prep)
    make_task(campaign, "B", 4, 5, phase=prep, after=[a])
    response = api(cast.lead).post(
        f"/api/v1/campaigns/{campaign.pk}/save-as-playbook/",
        {"code": "wd-template", "name": "Women's Day template", "description": "From WD"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "code", "name", "description", "builtin", "duration_days", "definition"}
    assert (body["code"], body["builtin"], body["duration_days"]) == ("wd-template", False, 10)
    assert [t["title"] for t in body["definition"]["tasks"]] == ["A", "B"]
    duplicate = api(cast.lead).post(
        f"/api/v1/campaigns/{campaign.pk}/save-as-playbook/", {"code": "wd-template", "name": "again"}, format="json"
    )
    assert (duplicate.status_code, set(duplicate.json())) == (400, {"code"})
    assert Playbook.objects.filter(code="wd-template").count() == 1


def test_playbooks_are_listed_for_everyone_signed_in(api, cast):
    body = api(cast.outsider).get("/api/v1/playbooks/").json()
    codes = {p["code"] for p in body["results"]}
    assert {"festival", "launch"} <= codes
    festival = Playbook.objects.get(code="festival")
    detail = api(cast.finance).get(f"/api/v1/playbooks/{festival.pk}/").json()
    assert set(detail) == {"id", "code", "name", "description", "builtin", "duration_days", "definition"}
    assert detail["builtin"] is True
    assert detail["duration_days"] == festival.duration_days
    assert api(cast.lead).post("/api/v1/playbooks/", {"code": "x", "name": "x"}, format="json").status_code == 405
    assert api().get("/api/v1/playbooks/").status_code == 401


# --- Phases and milestones ------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2027, 2, 20, 4, tzinfo=dt.UTC), tick=False)
def test_phases_carry_their_health_light(api, cast):
    campaign = make_campaign(cast)
    overdue = make_phase(campaign, "準備期", 1, 10)
    make_milestone(overdue, "物料終稿", due=5)  # day 5 = 14 Feb, before today (20 Feb)
    late = make_phase(campaign, "執行期", 8, 12, order=2)
    make_task(campaign, "side task", 8, 9, phase=late)  # late, with float → yellow
    side = make_phase(campaign, "側翼", 8, 12, order=4)
    make_task(campaign, "side task 2", 8, 9, phase=side)  # late, with float → yellow
    make_task(campaign, "long task", 8, 30, phase=late)  # runs past its phase, and unstarted past the campaign → red
    fine = make_phase(campaign, "收尾期", 20, 30, order=3)
    body = api(cast.viewer).get(f"/api/v1/phases/?campaign={campaign.pk}").json()
    assert set(body["results"][0]) == {"id", "campaign", "name", "order", "start_date", "end_date", "health"}
    health = {row["id"]: row["health"] for row in body["results"]}
    assert health == {overdue.pk: "red", late.pk: "red", fine.pk: "green", side.pk: "yellow"}
    assert api(cast.viewer).get(f"/api/v1/phases/{overdue.pk}/").json()["health"] == "red"


def test_phase_create_update_delete(api, cast):
    campaign = make_campaign(cast)
    client = api(cast.member)
    created = client.post(
        "/api/v1/phases/",
        {"campaign": campaign.pk, "name": "預熱期", "order": 2, "start_date": "2027-02-20", "end_date": "2027-02-26"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["health"] == "green"
    phase = Phase.objects.get(pk=created.json()["id"])
    assert (phase.campaign, phase.name, phase.order) == (campaign, "預熱期", 2)
    backwards = client.patch(f"/api/v1/phases/{phase.pk}/", {"end_date": "2027-02-01"}, format="json")
    assert (backwards.status_code, set(backwards.json())) == (400, {"end_date"})
    moved = client.patch(f"/api/v1/phases/{phase.pk}/", {"campaign": outsider_campaign(cast).pk}, format="json")
    assert (moved.status_code, set(moved.json())) == (400, {"campaign"})
    renamed = client.patch(f"/api/v1/phases/{phase.pk}/", {"name": "爆發期"}, format="json")
    assert renamed.json()["name"] == "爆發期"
    assert client.delete(f"/api/v1/phases/{phase.pk}/").status_code == 204
    assert not Phase.objects.filter(pk=phase.pk).exists()


def test_milestones_take_their_campaign_from_the_phase(api, cast):
    campaign = make_campaign(cast)
    phase = make_phase(campaign)
    response = api(cast.member).post(
        "/api/v1/milestones/",
        {"phase": phase.pk, "name": "功能驗收", "due_date": "2027-02-18", "deliverable": "驗收報告"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "campaign", "phase", "name", "due_date", "deliverable", "done", "done_on"}
    assert (body["campaign"], body["done"], body["done_on"]) == (campaign.pk, False, None)


@time_machine.travel(dt.datetime(2027, 2, 15, 3, tzinfo=dt.UTC), tick=False)
def test_marking_a_milestone_done_records_the_day(api, cast):
    milestone = make_milestone(make_phase(make_campaign(cast)))
    url = f"/api/v1/milestones/{milestone.pk}/"
    body = api(cast.member).patch(url, {"done": True, "done_on": "2000-01-01"}, format="json").json()
    assert (body["done"], body["done_on"]) == (True, "2027-02-15")
    body = api(cast.member).patch(url, {"done": False}, format="json").json()
    assert (body["done"], body["done_on"]) == (False, None)


def test_a_milestone_cannot_move_to_a_phase_of_another_campaign(api, cast):
    milestone = make_milestone(make_phase(make_campaign(cast)))
    other_phase = make_phase(make_campaign(cast, "OTHER"))
    response = api(cast.lead).patch(f"/api/v1/milestones/{milestone.pk}/", {"phase": other_phase.pk}, format="json")
    assert (response.status_code, set(response.json())) == (400, {"phase"})
    milestone.refresh_from_db()
    assert milestone.phase_id != other_phase.pk


# --- Tasks ---------------------------------------------------------------------------------------


TASK_FIELDS = {"phase", "title", "owner", "start_date", "due_date", "status", "progress", "depends_on"}


def test_task_create_with_campaign_or_phase(api, cast):
    campaign = make_campaign(cast)
    phase = make_phase(campaign)
    a = make_task(campaign, "A", 1, 3)
    client = api(cast.member)
    by_campaign = client.post(
        "/api/v1/tasks/",
        {
            "campaign": campaign.pk,
            "title": "B",
            "start_date": str(day(4)),
            "due_date": str(day(6)),
            "owner": cast.member.pk,
            "department": cast.member.department_id,
            "depends_on": [a.pk],
        },
        format="json",
    )
    assert by_campaign.status_code == 201, by_campaign.json()
    body = by_campaign.json()
    assert set(body) >= TASK_FIELDS | {"id", "campaign", "department"}
    assert (body["campaign"], body["status"], body["progress"], body["depends_on"]) == (campaign.pk, "todo", 0, [a.pk])
    by_phase = client.post(
        "/api/v1/tasks/",
        {"phase": phase.pk, "title": "C", "start_date": str(day(1)), "due_date": str(day(2))},
        format="json",
    )
    assert by_phase.status_code == 201, by_phase.json()
    assert by_phase.json()["campaign"] == campaign.pk
    neither = client.post("/api/v1/tasks/", {"title": "D", "start_date": "2027-02-10", "due_date": "2027-02-11"})
    assert (neither.status_code, set(neither.json())) == (400, {"campaign"})


def test_task_phase_must_belong_to_the_task_campaign(api, cast):
    campaign = make_campaign(cast)
    other_phase = make_phase(make_campaign(cast, "OTHER"))
    response = api(cast.lead).post(
        "/api/v1/tasks/",
        {
            "campaign": campaign.pk,
            "phase": other_phase.pk,
            "title": "x",
            "start_date": "2027-02-10",
            "due_date": "2027-02-11",
        },
        format="json",
    )
    assert (response.status_code, set(response.json())) == (400, {"phase"})
    assert not Task.objects.exists()


def test_task_owner_must_be_a_working_member_of_the_team(api, cast):
    campaign = make_campaign(cast)
    task = make_task(campaign, "A", 1, 3)
    url = f"/api/v1/tasks/{task.pk}/"
    for person in (cast.viewer, cast.outsider):
        response = api(cast.lead).patch(url, {"owner": person.pk}, format="json")
        assert (response.status_code, set(response.json())) == (400, {"owner"})
    assert api(cast.lead).patch(url, {"owner": cast.deputy.pk}, format="json").json()["owner"] == cast.deputy.pk
    assert api(cast.lead).patch(url, {"owner": None}, format="json").json()["owner"] is None


def test_depends_on_is_replaced_wholesale(api, cast):
    campaign = make_campaign(cast)
    a, b, c = (make_task(campaign, name, 1, 2) for name in "ABC")
    d = make_task(campaign, "D", 5, 6, after=[a, b])
    url = f"/api/v1/tasks/{d.pk}/"
    assert api(cast.member).patch(url, {"depends_on": [c.pk]}, format="json").json()["depends_on"] == [c.pk]
    assert set(d.depends_on.all()) == {c}
    assert api(cast.member).patch(url, {"title": "D2"}, format="json").json()["depends_on"] == [c.pk]
    assert api(cast.member).patch(url, {"depends_on": []}, format="json").json()["depends_on"] == []
    assert not d.depends_on.exists()


def test_a_dependency_cycle_is_refused_naming_the_cycle_and_nothing_is_saved(api, cast):
    campaign = make_campaign(cast)
    a = make_task(campaign, "A", 1, 2)
    b = make_task(campaign, "B", 3, 4, after=[a])
    response = api(cast.member).patch(
        f"/api/v1/tasks/{a.pk}/", {"title": "A renamed", "depends_on": [b.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"depends_on": ["These dependencies would form a cycle: “A” → “B” → “A”."]}
    a.refresh_from_db()
    assert a.title == "A"
    assert list(TaskDependency.objects.values_list("predecessor_id", "successor_id")) == [(a.pk, b.pk)]


def test_a_task_cannot_depend_on_itself(api, cast):
    a = make_task(make_campaign(cast), "A", 1, 2)
    response = api(cast.member).patch(f"/api/v1/tasks/{a.pk}/", {"depends_on": [a.pk]}, format="json")
    assert (response.status_code, set(response.json())) == (400, {"depends_on"})


def test_depends_on_a_task_of_another_campaign_or_a_missing_one_is_a_field_error(api, cast):
    campaign = make_campaign(cast)
    task = make_task(campaign, "A", 1, 2)
    mine_elsewhere = make_task(make_campaign(cast, "OTHER"), "X", 1, 2)
    hidden = make_task(outsider_campaign(cast), "Y", 1, 2)
    url = f"/api/v1/tasks/{task.pk}/"
    for ids in ([mine_elsewhere.pk], [hidden.pk], [999999], ["abc"], "abc", [None]):
        response = api(cast.lead).patch(url, {"depends_on": ids}, format="json")
        assert response.status_code == 400, ids
        assert set(response.json()) == {"depends_on"}, ids
    hidden_msg = api(cast.lead).patch(url, {"depends_on": [hidden.pk]}, format="json").json()
    assert hidden_msg == {"depends_on": [f"No task with id {hidden.pk} is available to you."]}
    assert not TaskDependency.objects.exists()


def test_done_tasks_are_complete_and_progress_is_a_percentage(api, cast):
    task = make_task(make_campaign(cast), "A", 1, 2)
    url = f"/api/v1/tasks/{task.pk}/"
    assert api(cast.member).patch(url, {"status": "done"}, format="json").json()["progress"] == 100
    for progress in (-1, 101, "lots"):
        response = api(cast.member).patch(url, {"progress": progress}, format="json")
        assert (response.status_code, set(response.json())) == (400, {"progress"})
    task.refresh_from_db()
    assert task.progress == 100


def test_task_delete(api, cast):
    campaign = make_campaign(cast)
    a = make_task(campaign, "A", 1, 2)
    b = make_task(campaign, "B", 3, 4, after=[a])
    assert api(cast.member).delete(f"/api/v1/tasks/{a.pk}/").status_code == 204
    assert list(Task.objects.all()) == [b]
    assert not TaskDependency.objects.exists()


# --- KPIs and readings ------------------------------------------------------------------------------


def test_kpi_contract_fields_and_decimals_as_strings(api, cast):
    campaign = make_campaign(cast)
    response = api(cast.member).post(
        "/api/v1/kpis/",
        {
            "campaign": campaign.pk,
            "name": "會員轉化率",
            "kind": "member_conversion",
            "unit": "%",
            "direction": "higher",
            "baseline": "12.5",
            "target": "25",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {
        "id",
        "campaign",
        "name",
        "kind",
        "unit",
        "direction",
        "baseline",
        "target",
        "latest_actual",
        "forecast",
        "deviation",
        "off_forecast",
    }
    assert (body["baseline"], body["target"]) == ("12.5000", "25.0000")
    assert (body["latest_actual"], body["forecast"], body["deviation"], body["off_forecast"]) == (
        None,
        None,
        None,
        False,
    )
    duplicate = api(cast.member).post(
        "/api/v1/kpis/", {"campaign": campaign.pk, "name": "會員轉化率", "target": "1"}, format="json"
    )
    assert (duplicate.status_code, set(duplicate.json())) == (400, {"name"})
    assert Kpi.objects.count() == 1


def test_kpi_readings_are_upserted_by_date(api, cast):
    kpi = make_kpi(make_campaign(cast))
    url = f"/api/v1/kpis/{kpi.pk}/readings/"
    client = api(cast.member)
    first = client.post(url, {"date": "2027-03-01", "forecast": "100"}, format="json")
    assert first.status_code == 201, first.json()
    assert set(first.json()) >= {"date", "actual", "forecast"}
    second = client.post(url, {"date": "2027-03-01", "actual": "90"}, format="json")
    assert second.status_code == 201
    assert (second.json()["actual"], second.json()["forecast"]) == ("90.0000", "100.0000")
    reading = KpiReading.objects.get(kpi=kpi)
    assert (reading.actual, reading.forecast, reading.recorded_by) == (90, 100, cast.member)
    client.post(url, {"date": "2027-02-28", "actual": "80"}, format="json")
    listed = client.get(url).json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert [(r["date"], r["actual"]) for r in listed["results"]] == [
        ("2027-02-28", "80.0000"),
        ("2027-03-01", "90.0000"),
    ]
    empty = client.post(url, {"date": "2027-03-02"}, format="json")
    assert (empty.status_code, set(empty.json())) == (400, {"actual"})
    assert KpiReading.objects.count() == 2


def test_a_kpi_reading_may_give_the_formulas_inputs(api, cast):
    kpi = make_kpi(make_campaign(cast), kind="member_conversion")  # paid / new members, in per cent
    url = f"/api/v1/kpis/{kpi.pk}/readings/"
    client = api(cast.member)
    computed = client.post(
        url, {"date": "2027-03-01", "inputs": {"paid_members": 30, "new_members": 120}}, format="json"
    )
    assert (computed.status_code, computed.json()["actual"]) == (201, "25.0000")
    assert "inputs" not in computed.json()
    for body, field in (
        ({"inputs": {"paid_members": 1, "new_members": 0}}, "new_members"),
        ({"inputs": {"paid_members": "x"}}, "inputs"),
        ({"inputs": {"reach": 1}}, "inputs"),
        ({"inputs": "30/120"}, "inputs"),
    ):
        refused = client.post(url, {"date": "2027-03-02", **body}, format="json")
        assert (refused.status_code, set(refused.json())) == (400, {field}), (body, refused.json())
    assert KpiReading.objects.filter(kpi=kpi).count() == 1


@pytest.mark.parametrize(("actual", "off"), [("115", False), ("85", False), ("115.01", True), ("84.99", True)])
def test_kpi_is_off_forecast_only_beyond_15_percent(api, cast, actual, off):
    kpi = make_kpi(make_campaign(cast))
    api(cast.member).post(
        f"/api/v1/kpis/{kpi.pk}/readings/", {"date": "2027-03-01", "actual": actual, "forecast": "100"}, format="json"
    )
    body = api(cast.viewer).get(f"/api/v1/kpis/{kpi.pk}/").json()
    assert body["latest_actual"] == f"{float(actual):.4f}"
    assert body["forecast"] == "100.0000"
    assert body["off_forecast"] is off
    assert body["deviation"] == ("0.1500" if actual in ("115", "85") else "0.1501")


def test_kpi_status_uses_the_latest_actual(api, cast):
    kpi = make_kpi(make_campaign(cast))
    make_reading(kpi, day(1), forecast="100")
    make_reading(kpi, day(2), actual="50")
    make_reading(kpi, day(3), actual="99")
    row = api(cast.lead).get(f"/api/v1/kpis/?campaign={kpi.campaign_id}").json()["results"][0]
    assert (row["latest_actual"], row["latest_actual_date"], row["forecast"], row["off_forecast"]) == (
        "99.0000",
        str(day(3)),
        "100.0000",
        False,
    )


# --- Channels ------------------------------------------------------------------------------------------


def test_channel_contract_and_validation(api, cast):
    campaign = make_campaign(cast)
    client = api(cast.member)
    response = client.post(
        "/api/v1/channels/",
        {
            "campaign": campaign.pk,
            "type": "offline_store",
            "name": "3,000 門店",
            "reach_target": 3000,
            "conversion_target": "30",
            "note": "partner stores",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"id", "campaign", "type", "name", "reach_target", "conversion_target", "note"}
    assert response.json()["conversion_target"] == "30.00"
    bad = client.post(
        "/api/v1/channels/",
        {"campaign": campaign.pk, "type": "fax", "name": "3,000 門店", "conversion_target": "101", "reach_target": -5},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"type", "conversion_target", "reach_target"}
    duplicate = client.post(
        "/api/v1/channels/", {"campaign": campaign.pk, "type": "sms", "name": "3,000 門店"}, format="json"
    )
    assert (duplicate.status_code, set(duplicate.json())) == (400, {"name"})
    channel = Channel.objects.get()
    renamed = client.patch(f"/api/v1/channels/{channel.pk}/", {"name": "門店"}, format="json")
    assert renamed.json()["name"] == "門店"
    assert client.delete(f"/api/v1/channels/{channel.pk}/").status_code == 204
    assert not Channel.objects.exists()


def test_part_lists_refuse_a_malformed_campaign_filter(api, cast):
    for resource in ("phases", "milestones", "tasks", "kpis", "channels"):
        response = api(cast.lead).get(f"/api/v1/{resource}/?campaign=abc")
        assert response.status_code == 400, resource
        assert set(response.json()) == {"campaign"}


def test_part_lists_filter_by_campaign(api, cast):
    one, two = make_campaign(cast, "ONE"), make_campaign(cast, "TWO")
    make_channel(one)
    make_channel(two)
    make_channel(two, "SMS", "sms")
    assert api(cast.lead).get(f"/api/v1/channels/?campaign={two.pk}").json()["count"] == 2
    assert api(cast.lead).get("/api/v1/channels/").json()["count"] == 3


def test_milestone_list_rows(api, cast):
    phase = make_phase(make_campaign(cast))
    make_milestone(phase)
    rows = api(cast.viewer).get(f"/api/v1/milestones/?campaign={phase.campaign_id}").json()["results"]
    assert [r["name"] for r in rows] == ["物料終稿"]
    assert Milestone.objects.count() == 1
