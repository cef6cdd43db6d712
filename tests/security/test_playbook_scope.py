"""Also in issue 13: playbooks saved by one team were readable by every user. A saved playbook now belongs to the
team whose campaign it came from: its people read and start from it; everyone else gets 404 (built-in playbooks
stay open to all)."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Playbook
from campaigns.services import campaign_create, playbook_save_from_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(cast):
    campaign = campaign_create(actor=cast.lead, team=cast.team, code="WD-2027", name="Women's Day",
                               start_date=dt.date(2027, 2, 10), end_date=dt.date(2027, 3, 15))  # fmt: skip
    return playbook_save_from_campaign(actor=cast.lead, campaign=campaign, code="wd-secret-plan", name="WD secret")


def test_another_teams_playbook_is_not_found(api, cast, saved):
    assert api(cast.outsider).get(f"/api/v1/playbooks/{saved.pk}/").status_code == 404
    listed = [p["code"] for p in api(cast.outsider).get("/api/v1/playbooks/").json()["results"]]
    assert "wd-secret-plan" not in listed
    assert api(cast.executive).get(f"/api/v1/playbooks/{saved.pk}/").status_code == 404


def test_the_teams_people_and_admins_read_it(api, cast, saved):
    for person in (cast.lead, cast.viewer, cast.admin):
        assert api(person).get(f"/api/v1/playbooks/{saved.pk}/").status_code == 200


def test_an_outsider_cannot_start_a_campaign_from_it(api, cast, saved):
    team = cast.outsider.memberships.get().team
    response = api(cast.outsider).post(
        "/api/v1/campaigns/",
        {"team": team.pk, "code": "STEAL-1", "name": "x", "start_date": "2027-04-01", "playbook": saved.pk},
        format="json",
    )
    assert response.status_code == 400 and "playbook" in response.json()


def test_the_create_page_offers_only_the_users_playbooks(client, cast, saved):
    client.force_login(cast.outsider)
    assert "WD secret" not in client.get("/campaigns/new/").content.decode()
    assert Playbook.objects.filter(builtin=True).exists()
