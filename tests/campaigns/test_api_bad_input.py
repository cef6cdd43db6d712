"""The campaigns API never answers 500 to a malformed request (SPEC 8): every bad input is a 400 naming the field,
or a ``detail`` when the body itself is unreadable."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign, Channel, Kpi, KpiReading, Milestone, Phase, Task
from tests.campaigns.test_api_support import (
    make_campaign,
    make_channel,
    make_kpi,
    make_milestone,
    make_phase,
    make_task,
)

pytestmark = pytest.mark.django_db

HUGE = 10**30


@pytest.fixture
def plan(cast):
    campaign = make_campaign(cast)
    phase = make_phase(campaign)
    return {
        "campaign": campaign,
        "phase": phase,
        "milestone": make_milestone(phase),
        "task": make_task(campaign, "A", 1, 3, phase=phase),
        "kpi": make_kpi(campaign),
        "channel": make_channel(campaign),
    }


def snapshot() -> tuple:
    return (
        list(Campaign.objects.values()),
        list(Phase.objects.values()),
        list(Milestone.objects.values()),
        list(Task.objects.values()),
        list(Kpi.objects.values()),
        list(KpiReading.objects.values()),
        list(Channel.objects.values()),
    )


def creates(cast, plan) -> list[tuple[str, dict, set[str]]]:
    """One good create payload per endpoint, and the fields that endpoint reads (to be spoiled one by one)."""
    c, p = plan["campaign"], plan["phase"]
    return [
        (
            "/api/v1/campaigns/",
            {"code": "N-1", "name": "n", "team": cast.team.pk, "start_date": "2027-01-01", "end_date": "2027-01-31"},
            {"code", "name", "team", "lead", "playbook", "start_date", "end_date", "time_zone"},
        ),
        (
            "/api/v1/phases/",
            {"campaign": c.pk, "name": "n", "start_date": "2027-02-10", "end_date": "2027-02-12"},
            {"campaign", "name", "order", "start_date", "end_date"},
        ),
        (
            "/api/v1/milestones/",
            {"phase": p.pk, "name": "n", "due_date": "2027-02-12"},
            {"phase", "name", "due_date"},
        ),
        (
            "/api/v1/tasks/",
            {"campaign": c.pk, "title": "n", "start_date": "2027-02-10", "due_date": "2027-02-12"},
            {"campaign", "phase", "owner", "title", "start_date", "due_date", "status", "progress", "depends_on"},
        ),
        (
            "/api/v1/kpis/",
            {"campaign": c.pk, "name": "n", "target": "10"},
            {"campaign", "name", "kind", "direction", "target"},
        ),
        (
            "/api/v1/channels/",
            {"campaign": c.pk, "type": "sms", "name": "n"},
            {"campaign", "name", "type", "reach_target", "conversion_target"},
        ),
        (
            f"/api/v1/kpis/{plan['kpi'].pk}/readings/",
            {"date": "2027-02-12", "actual": "1"},
            {"date", "actual", "forecast"},
        ),
        (
            f"/api/v1/campaigns/{c.pk}/copy/",
            {"code": "N-2", "name": "n", "start_date": "2027-05-01"},
            {"code", "name", "start_date", "team"},
        ),
        (
            f"/api/v1/campaigns/{c.pk}/save-as-playbook/",
            {"code": "n-pb", "name": "n"},
            {"code", "name"},
        ),
        (f"/api/v1/campaigns/{c.pk}/transition/", {"status": "planning"}, {"status"}),
    ]


SPOILERS = [
    ("a string for an id", {"campaign": "abc", "team": "abc", "phase": "abc", "owner": "abc", "lead": "abc"}),
    ("a huge id", {"campaign": HUGE, "team": HUGE, "phase": HUGE, "owner": HUGE, "playbook": HUGE}),
    ("a bad date", {"start_date": "2027-02-30", "end_date": "soon", "due_date": "yesterday", "date": "31/12/2027"}),
    ("an object for a date", {"start_date": {"y": 2027}, "due_date": [2027], "date": 20270101}),
    ("a negative progress", {"progress": -1}),
    ("progress over 100", {"progress": 101}),
    ("a string for progress", {"progress": "half"}),
    ("an unknown status", {"status": "finished"}),
    ("an unknown choice", {"type": "fax", "kind": "magic", "direction": "sideways"}),
    ("a number that is not one", {"target": "lots", "actual": "NaN", "forecast": "Infinity", "reach_target": "x"}),
    ("a huge number", {"reach_target": HUGE, "order": HUGE, "progress": HUGE}),
    ("too many digits", {"target": "1" * 30, "actual": "1e40", "conversion_target": "1000"}),
    ("a list for a text", {"name": ["x"], "title": {"x": 1}, "code": ["x"]}),
    ("overlong text", {"name": "x" * 500, "title": "x" * 500, "code": "x" * 500}),
    ("nulls", {"name": None, "title": None, "start_date": None, "date": None, "code": None}),
    ("an unknown time zone", {"time_zone": "Mars/Olympus"}),
    ("depends_on not a list", {"depends_on": "1,2"}),
    ("depends_on of junk", {"depends_on": [{"id": 1}, HUGE, -1]}),
]


@pytest.mark.parametrize(("label", "spoil"), SPOILERS, ids=[s[0] for s in SPOILERS])
def test_spoiled_creates_are_400_and_change_nothing(api, cast, plan, label, spoil):
    client = api(cast.lead)
    before = snapshot()
    tried = 0
    for url, payload, fields in creates(cast, plan):
        spoilt = {k: v for k, v in spoil.items() if k in fields}
        if not spoilt:
            continue
        tried += 1
        response = client.post(url, {**payload, **spoilt}, format="json")
        assert response.status_code == 400, (url, label, response.status_code, response.content[:300])
        assert isinstance(response.json(), dict)
    assert tried
    assert snapshot() == before


@pytest.mark.parametrize(("label", "spoil"), SPOILERS, ids=[s[0] for s in SPOILERS])
def test_spoiled_updates_are_400_and_change_nothing(api, cast, plan, label, spoil):
    client = api(cast.lead)
    before = snapshot()
    targets = {
        f"/api/v1/campaigns/{plan['campaign'].pk}/": {
            "code",
            "name",
            "lead",
            "start_date",
            "end_date",
            "status",
            "time_zone",
        },
        f"/api/v1/phases/{plan['phase'].pk}/": {"campaign", "name", "order", "start_date", "end_date"},
        f"/api/v1/milestones/{plan['milestone'].pk}/": {"phase", "name", "due_date"},
        f"/api/v1/tasks/{plan['task'].pk}/": {
            "campaign",
            "phase",
            "owner",
            "title",
            "start_date",
            "due_date",
            "status",
            "progress",
            "depends_on",
        },
        f"/api/v1/kpis/{plan['kpi'].pk}/": {"campaign", "name", "kind", "direction", "target"},
        f"/api/v1/channels/{plan['channel'].pk}/": {"campaign", "name", "type", "reach_target", "conversion_target"},
    }
    for url, fields in targets.items():
        payload = {k: v for k, v in spoil.items() if k in fields}
        if not payload:
            continue
        response = client.patch(url, payload, format="json")
        assert response.status_code == 400, (url, label, response.status_code, response.content[:300])
    assert snapshot() == before


def test_a_json_list_instead_of_an_object_is_400(api, cast, plan):
    client = api(cast.lead)
    for url, _payload, _fields in creates(cast, plan):
        response = client.post(url, ["not", "an", "object"], format="json")
        assert response.status_code == 400, url
    for url in (
        f"/api/v1/campaigns/{plan['campaign'].pk}/",
        f"/api/v1/tasks/{plan['task'].pk}/",
        f"/api/v1/kpis/{plan['kpi'].pk}/",
    ):
        assert client.patch(url, [1, 2], format="json").status_code == 400, url


def test_malformed_json_is_400_with_a_detail(api, cast, plan):
    client = api(cast.lead)
    for url, _payload, _fields in creates(cast, plan):
        response = client.generic("POST", url, '{"name": ', content_type="application/json")
        assert response.status_code == 400, url
        assert "detail" in response.json()
    response = client.generic(
        "PATCH", f"/api/v1/tasks/{plan['task'].pk}/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("pk", ["abc", "0", "-1", str(HUGE), "1.5"])
def test_junk_ids_in_urls_are_404(api, cast, plan, pk):
    client = api(cast.lead)
    for resource in ("campaigns", "phases", "milestones", "tasks", "kpis", "channels", "playbooks"):
        assert client.get(f"/api/v1/{resource}/{pk}/").status_code == 404, resource
    assert client.get(f"/api/v1/campaigns/{pk}/schedule/").status_code == 404
    assert client.post(f"/api/v1/campaigns/{pk}/transition/", {"status": "planning"}, format="json").status_code == 404
    assert client.get(f"/api/v1/kpis/{pk}/readings/").status_code == 404


@pytest.mark.parametrize("value", ["abc", "1.5", str(HUGE), "-3"])
def test_junk_filters_are_400_or_empty_never_500(api, cast, plan, value):
    client = api(cast.lead)
    for url in (
        f"/api/v1/campaigns/?team={value}",
        f"/api/v1/phases/?campaign={value}",
        f"/api/v1/tasks/?campaign={value}",
        f"/api/v1/kpis/?campaign={value}",
    ):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        if response.status_code == 200:
            assert response.json()["count"] == 0


def test_a_year_before_1000_comes_back_as_a_four_digit_iso_date(api, cast, plan):
    """Found by tests/test_api_fuzz.py: "%Y-%m-%d" wrote the year 64 as "64-06-14", which is no date at all."""
    milestone = plan["milestone"]
    # SPEC 10.1 bounds: such a date is no longer accepted (400 naming the field) ...
    response = api(cast.lead).patch(f"/api/v1/milestones/{milestone.pk}/", {"due_date": "0064-06-14"}, format="json")
    assert response.status_code == 400, response.content
    assert "due_date" in response.json()
    # ... but a row stored before the bounds still comes back as a proper ISO date.
    type(milestone).objects.filter(pk=milestone.pk).update(due_date=dt.date(64, 6, 14))
    response = api(cast.lead).get(f"/api/v1/milestones/{milestone.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["due_date"] == "0064-06-14"
