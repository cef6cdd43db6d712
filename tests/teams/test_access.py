"""Every teams view and endpoint with the three people of STYLE: owner, lesser teammate, outsider (404)."""

from __future__ import annotations

import pytest

from core.roles import TeamRole
from teams.models import TeamMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- HTML ----------------------------------------------------------------------------


def test_team_page_owner_sees_management_form(browser_client, cast):
    html = browser_client(cast.lead).get(f"/teams/{cast.team.pk}/").content.decode()
    assert "Add a member or change a role" in html
    assert "t-viewer" in html


def test_team_page_viewer_reads_without_management(browser_client, cast):
    response = browser_client(cast.viewer).get(f"/teams/{cast.team.pk}/")
    assert response.status_code == 200
    assert "Add a member or change a role" not in response.content.decode()


def test_team_page_outsider_gets_404(browser_client, cast):
    assert browser_client(cast.outsider).get(f"/teams/{cast.team.pk}/").status_code == 404


def test_team_page_executive_reads(browser_client, cast):
    assert browser_client(cast.executive).get(f"/teams/{cast.team.pk}/").status_code == 200


def test_team_list_shows_only_my_teams(browser_client, cast):
    html = browser_client(cast.outsider).get("/teams/").content.decode()
    assert "渠道拓展組" in html
    assert "女神節專項工作組" not in html


def test_adding_a_member_lead_yes_member_403_outsider_404(browser_client, cast):
    newcomer = UserFactory(username="newcomer")
    url = f"/teams/{cast.team.pk}/members/"
    data = {"username": "newcomer", "role": "member"}
    assert browser_client(cast.outsider).post(url, data).status_code == 404
    assert browser_client(cast.member).post(url, data).status_code == 403
    assert browser_client(cast.viewer).post(url, data).status_code == 403
    assert not TeamMembership.objects.filter(user=newcomer).exists()
    response = browser_client(cast.lead).post(url, data)
    assert response.status_code == 302
    assert TeamMembership.objects.get(user=newcomer, team=cast.team).role == TeamRole.MEMBER


def test_adding_an_unknown_user_shows_a_field_error(browser_client, cast):
    response = browser_client(cast.lead).post(
        f"/teams/{cast.team.pk}/members/", {"username": "ghost", "role": "member"}
    )
    assert response.status_code == 400
    assert "No active user has the username “ghost”" in response.content.decode()


def test_removing_a_member_lead_yes_viewer_403_outsider_404(browser_client, cast):
    url = f"/teams/{cast.team.pk}/members/{cast.member.pk}/remove/"
    assert browser_client(cast.outsider).post(url).status_code == 404
    assert browser_client(cast.viewer).post(url).status_code == 403
    assert browser_client(cast.lead).post(url).status_code == 302
    assert not TeamMembership.objects.filter(team=cast.team, user=cast.member).exists()


def test_membership_writes_need_post(browser_client, cast):
    assert browser_client(cast.lead).get(f"/teams/{cast.team.pk}/members/").status_code == 405


# --- API -----------------------------------------------------------------------------


def test_api_teams_list_is_filtered(api, cast):
    names = [t["name"] for t in api(cast.viewer).get("/api/v1/teams/").json()["results"]]
    assert names == ["女神節專項工作組"]
    assert api(cast.finance).get("/api/v1/teams/").json()["count"] == 0
    assert api(cast.executive).get("/api/v1/teams/").json()["count"] == 2


def test_api_team_detail_owner_viewer_outsider(api, cast):
    url = f"/api/v1/teams/{cast.team.pk}/"
    assert api(cast.lead).get(url).json()["member_count"] == 4
    assert api(cast.viewer).get(url).status_code == 200
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.lead).get("/api/v1/teams/abc/").status_code == 404


def test_api_team_members_list_owner_viewer_outsider(api, cast):
    url = f"/api/v1/teams/{cast.team.pk}/members/"
    rows = api(cast.viewer).get(url).json()["results"]
    assert {(r["username"], r["role"]) for r in rows} == {
        ("t-lead", "lead"),
        ("t-deputy", "deputy"),
        ("t-member", "member"),
        ("t-viewer", "viewer"),
    }
    assert set(rows[0]) >= {"user", "role"}
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.outsider).get("/api/v1/teams/nonsense/members/").status_code == 404


def test_api_add_member_lead_yes_deputy_and_member_403_outsider_404(api, cast):
    # SPEC 10.1 "Team roles" (second release): only the lead or an admin changes members; deputies are refused.
    newcomer = UserFactory(username="newcomer")
    url = f"/api/v1/teams/{cast.team.pk}/members/"
    payload = {"user": newcomer.pk, "role": "viewer"}
    assert api(cast.outsider).post(url, payload, format="json").status_code == 404
    assert api(cast.member).post(url, payload, format="json").status_code == 403
    assert api(cast.deputy).post(url, payload, format="json").status_code == 403
    response = api(cast.lead).post(url, payload, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "viewer"


def test_api_add_member_bad_input_is_field_level(api, cast):
    url = f"/api/v1/teams/{cast.team.pk}/members/"
    response = api(cast.lead).post(url, {"user": "abc", "role": "boss"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"user", "role"}
    assert api(cast.lead).post(url, {"user": 999999, "role": "member"}, format="json").status_code == 400
    assert api(cast.lead).post(url, ["not", "an", "object"], format="json").status_code == 400


def test_api_change_role_and_remove(api, cast):
    url = f"/api/v1/teams/{cast.team.pk}/members/{cast.member.pk}/"
    assert api(cast.viewer).patch(url, {"role": "deputy"}, format="json").status_code == 403
    assert api(cast.lead).patch(url, {"role": "deputy"}, format="json").json()["role"] == "deputy"
    assert api(cast.outsider).delete(url).status_code == 404
    assert api(cast.lead).delete(url).status_code == 204
    assert api(cast.lead).delete(url).status_code == 404


def test_api_executive_reads_but_cannot_manage(api, cast):
    newcomer = UserFactory(username="newcomer")
    url = f"/api/v1/teams/{cast.team.pk}/members/"
    assert api(cast.executive).get(url).status_code == 200
    assert api(cast.executive).post(url, {"user": newcomer.pk, "role": "member"}, format="json").status_code == 403
    assert api(cast.admin).post(url, {"user": newcomer.pk, "role": "member"}, format="json").status_code == 201


def test_departments_are_readable_by_any_staff_member(api, cast):
    body = api(cast.outsider).get("/api/v1/departments/").json()
    assert set(body["results"][0]) >= {"id", "code", "name"}


def test_unknown_user_id_message_names_the_id(api, cast):
    response = api(cast.lead).post(
        f"/api/v1/teams/{cast.team.pk}/members/", {"user": 999999, "role": "member"}, format="json"
    )
    assert response.json() == {"user": ["No active user has id 999999."]}
