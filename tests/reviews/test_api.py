"""The review API: series and meetings, their contract fields, bad input, access, and the meeting actions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from reviews.models import ActionItem, Meeting, ReviewSeries, StatusUpdate
from tests.reviews.conftest import make_series, once_held

pytestmark = pytest.mark.django_db

SERIES = "/api/v1/review-series/"
MEETINGS = "/api/v1/meetings/"
# A Monday well away from Chinese public holidays, so the next four weeks have a meeting each week.
NOW = dt.datetime(2025, 11, 3, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def payload(cast, campaign_, **kw):
    return {
        "campaign": campaign_.pk,
        "kind": "standup",
        "weekday": 2,
        "time": "10:30",
        "chair": cast.lead.pk,
        "participants": [cast.lead.pk, cast.member.pk, cast.viewer.pk],
        "reminder_lead_hours": 24,
        "holiday_policy": "next_workday",
        "active": True,
        **kw,
    }


@pytest.fixture
def series(cast, campaign):
    return make_series(cast, campaign, starts_on=dt.date(2025, 11, 3))


@pytest.fixture
def meeting(series):
    return series.meetings.order_by("scheduled_at").first()


# --- Series ------------------------------------------------------------------------------


def test_a_series_carries_every_contract_field(api, cast, campaign):
    response = api(cast.lead).post(SERIES, payload(cast, campaign), format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    for field in (
        "id",
        "campaign",
        "kind",
        "weekday",
        "time",
        "timezone",
        "interval_weeks",
        "chair",
        "participants",
        "reminder_lead_hours",
        "holiday_policy",
        "active",
    ):
        assert field in body, field
    assert body["time"] == "10:30"
    assert body["timezone"] == "Asia/Shanghai"
    assert body["interval_weeks"] == 1
    assert sorted(body["participants"]) == sorted([cast.lead.pk, cast.member.pk, cast.viewer.pk])
    series = ReviewSeries.objects.get(pk=body["id"])
    assert series.time == dt.time(10, 30) and series.chair == cast.lead


def test_creating_a_series_makes_at_least_four_meetings(api, cast, campaign):
    response = api(cast.member).post(SERIES, payload(cast, campaign), format="json")
    assert response.status_code == 201, response.data
    meetings = Meeting.objects.filter(series_id=response.json()["id"])
    assert meetings.count() >= 4
    assert {m.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=8))).time() for m in meetings} == {dt.time(10, 30)}
    listed = api(cast.member).get(MEETINGS, {"series": response.json()["id"]}).json()
    assert listed["count"] == meetings.count()


def test_a_retrospective_meets_every_two_weeks_by_default(api, cast, campaign):
    response = api(cast.lead).post(SERIES, payload(cast, campaign, kind="retrospective"), format="json")
    assert response.status_code == 201, response.data
    assert response.json()["interval_weeks"] == 2


def test_changing_a_series_moves_its_meetings_at_once(api, cast, series):
    response = api(cast.lead).patch(f"{SERIES}{series.pk}/", {"time": "15:00"}, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["time"] == "15:00"
    shanghai = dt.timezone(dt.timedelta(hours=8))
    upcoming = series.meetings.filter(scheduled_at__gte=NOW)
    assert upcoming.exists()
    assert {m.scheduled_at.astimezone(shanghai).time() for m in upcoming} == {dt.time(15, 0)}
    # Participants not named in a PATCH are kept.
    assert sorted(response.json()["participants"]) == sorted([cast.lead.pk, cast.member.pk, cast.viewer.pk])


def test_a_series_cannot_move_to_another_campaign(api, cast, series):
    from campaigns.services import campaign_create

    other = campaign_create(
        actor=cast.lead, team=cast.team, code="WD-X", name="Other",
        start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 12, 31),
    )  # fmt: skip
    response = api(cast.lead).patch(f"{SERIES}{series.pk}/", {"campaign": other.pk}, format="json")
    assert response.status_code == 400 and "campaign" in response.json()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekday": 9}, "weekday"),
        ({"weekday": -1}, "weekday"),
        ({"interval_weeks": 0}, "interval_weeks"),
        ({"interval_weeks": 13}, "interval_weeks"),
        ({"time": "25:00"}, "time"),
        ({"time": "ten"}, "time"),
        ({"participants": [987654]}, "participants"),
        ({"participants": "x"}, "participants"),
        ({"chair": 987654}, "chair"),
        ({"kind": "daily"}, "kind"),
        ({"holiday_policy": "ignore"}, "holiday_policy"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"reminder_lead_hours": -3}, "reminder_lead_hours"),
        ({"campaign": "abc"}, "campaign"),
        ({"campaign": 2**70}, "campaign"),
    ],
)
def test_bad_series_input_is_400_naming_the_field(api, cast, campaign, changes, field):
    response = api(cast.lead).post(SERIES, payload(cast, campaign, **changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ReviewSeries.objects.exists()


def test_participants_must_be_on_the_campaigns_team(api, cast, campaign):
    body = payload(cast, campaign, participants=[cast.member.pk, cast.outsider.pk, cast.executive.pk])
    response = api(cast.lead).post(SERIES, body, format="json")
    assert response.status_code == 400
    assert len(response.json()["participants"]) == 2
    assert not ReviewSeries.objects.exists()


def test_the_chair_must_be_able_to_write_on_the_team(api, cast, campaign):
    response = api(cast.lead).post(SERIES, payload(cast, campaign, chair=cast.viewer.pk), format="json")
    assert response.status_code == 400 and "chair" in response.json()


def test_a_list_instead_of_an_object_is_400(api, cast, campaign, series):
    client = api(cast.lead)
    assert client.post(SERIES, [payload(cast, campaign)], format="json").status_code == 400
    assert client.patch(f"{SERIES}{series.pk}/", [{"time": "11:00"}], format="json").status_code == 400
    assert client.post(f"{MEETINGS}{series.meetings.first().pk}/publish/", ["x"], format="json").status_code == 400


@pytest.mark.parametrize("url", [SERIES + "?campaign=abc", SERIES + "?campaign=0", MEETINGS + "?series=x"])
def test_a_malformed_filter_is_400(api, cast, series, url):
    response = api(cast.lead).get(url)
    assert response.status_code == 400


def test_the_campaign_filter_narrows_the_series_list(api, cast, campaign, series):
    client = api(cast.lead)
    assert [s["id"] for s in client.get(SERIES, {"campaign": campaign.pk}).json()["results"]] == [series.pk]
    assert client.get(SERIES, {"campaign": campaign.pk + 1000}).json()["count"] == 0


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "deputy", "member"])
def test_the_team_creates_and_changes_series(api, cast, campaign, person):
    client = api(getattr(cast, person))
    response = client.post(SERIES, payload(cast, campaign), format="json")
    assert response.status_code == 201, response.data
    patched = client.patch(f"{SERIES}{response.json()['id']}/", {"weekday": 3}, format="json")
    assert patched.status_code == 200 and patched.json()["weekday"] == 3


@pytest.mark.parametrize("person", ["viewer", "executive"])
def test_read_only_people_read_series_and_meetings_but_get_403_on_every_write(api, cast, campaign, series, person):
    client = api(getattr(cast, person))
    assert client.get(SERIES).json()["count"] == 1
    assert client.get(f"{SERIES}{series.pk}/").status_code == 200
    meeting = series.meetings.first()
    assert client.get(MEETINGS, {"series": series.pk}).json()["count"] == series.meetings.count()
    assert client.get(f"{MEETINGS}{meeting.pk}/").status_code == 200
    assert client.post(SERIES, payload(cast, campaign), format="json").status_code == 403
    assert client.patch(f"{SERIES}{series.pk}/", {"weekday": 4}, format="json").status_code == 403
    assert client.post(f"{MEETINGS}{meeting.pk}/open/").status_code == 403
    assert client.post(f"{MEETINGS}{meeting.pk}/publish/", {"minutes": "x"}, format="json").status_code == 403
    item = {"title": "Do it", "owner": cast.member.pk}
    assert client.post(f"{MEETINGS}{meeting.pk}/action-items/", item, format="json").status_code == 403
    series.refresh_from_db()
    assert series.weekday == 2 and ReviewSeries.objects.count() == 1
    meeting.refresh_from_db()
    assert meeting.published_at is None and not ActionItem.objects.exists()


def test_outsiders_see_empty_lists_and_get_404_on_every_endpoint(api, cast, campaign, series):
    client = api(cast.outsider)
    meeting = series.meetings.first()
    assert client.get(SERIES).json()["count"] == 0
    assert client.get(SERIES, {"campaign": campaign.pk}).json()["count"] == 0
    assert client.get(MEETINGS).json()["count"] == 0
    assert client.get(MEETINGS, {"series": series.pk}).json()["count"] == 0
    assert client.get(f"{SERIES}{series.pk}/").status_code == 404
    assert client.patch(f"{SERIES}{series.pk}/", {"weekday": 4}, format="json").status_code == 404
    assert client.get(f"{MEETINGS}{meeting.pk}/").status_code == 404
    for action, body in [
        ("open", {}),
        ("publish", {"minutes": "x"}),
        ("action-items", {"title": "x", "owner": cast.outsider.pk}),
        ("status-update", {"done": "x"}),
    ]:
        assert client.post(f"{MEETINGS}{meeting.pk}/{action}/", body, format="json").status_code == 404, action
    # Creating in a campaign they cannot see reveals nothing either: it reads as "no such campaign".
    response = client.post(SERIES, payload(cast, campaign, participants=[], chair=cast.outsider.pk), format="json")
    assert response.status_code == 400 and "campaign" in response.json()


def test_the_api_needs_authentication(api, series):
    assert api().get(SERIES).status_code == 401
    assert api().get(MEETINGS).status_code == 401


def test_absurd_ids_are_404_never_a_crash(api, cast, series):
    client = api(cast.lead)
    for url in (f"{SERIES}{2**70}/", f"{SERIES}abc/", f"{MEETINGS}{2**70}/", f"{MEETINGS}0/"):
        assert client.get(url).status_code == 404, url


# --- Meetings and their actions ------------------------------------------------------------


def test_a_meeting_carries_every_contract_field(api, cast, series, meeting):
    ActionItem.objects.create(meeting=meeting, title="Posters", owner=cast.member, due_date=dt.date(2025, 11, 10))
    body = api(cast.member).get(f"{MEETINGS}{meeting.pk}/").json()
    assert set(body) >= {"id", "series", "scheduled_at", "status", "agenda", "minutes", "published_at", "action_items"}
    assert body["series"] == series.pk and body["status"] == "scheduled"
    assert body["scheduled_at"].endswith("+08:00")
    assert dt.datetime.fromisoformat(body["scheduled_at"]) == meeting.scheduled_at
    assert body["action_items"] == [
        {"id": ActionItem.objects.get().pk, "title": "Posters", "owner": cast.member.pk,
         "due_date": "2025-11-10", "done": False}
    ]  # fmt: skip


def test_meetings_cannot_be_written_directly(api, cast, meeting):
    client = api(cast.lead)
    sneaky = client.patch(f"{MEETINGS}{meeting.pk}/", {"minutes": "sneaky", "attendees": []}, format="json")
    assert sneaky.status_code == 400 and set(sneaky.data) == {"minutes"}
    assert client.put(f"{MEETINGS}{meeting.pk}/", {"attendees": []}, format="json").status_code == 405
    assert client.delete(f"{MEETINGS}{meeting.pk}/").status_code == 405
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_the_chair_opens_the_meeting_and_gets_its_agenda(api, cast, series, meeting):
    from campaigns.services import task_save

    task_save(
        campaign=series.campaign, actor=cast.lead, title="Posters",
        start_date=dt.date(2025, 10, 20), due_date=dt.date(2025, 10, 30),
    )  # fmt: skip
    response = api(cast.lead).post(f"{MEETINGS}{meeting.pk}/open/")
    assert response.status_code == 200, response.data
    assert ("late_task", "Posters") in {(item["kind"], item["title"]) for item in response.json()["agenda"]}
    meeting.refresh_from_db()
    # The stored items, each with its (still empty) minutes.
    assert [{**item, "notes": "", "decision": ""} for item in meeting.agenda] == response.json()["agenda"]


def test_a_team_member_who_is_not_the_chair_may_not_open_the_meeting(api, cast, meeting):
    assert api(cast.member).post(f"{MEETINGS}{meeting.pk}/open/").status_code == 403


def test_minutes_are_published_once(api, cast, series, meeting):
    with once_held(meeting):
        client = api(cast.lead)
        response = client.post(f"{MEETINGS}{meeting.pk}/publish/", {"minutes": "Agreed the posters."}, format="json")
        assert response.status_code == 200, response.data
        assert response.json()["status"] == "held" and response.json()["minutes"] == "Agreed the posters."
        assert response.json()["published_at"] is not None
        assert Notification.objects.filter(verb="minutes_published", recipient=cast.member).count() == 1
        again = client.post(f"{MEETINGS}{meeting.pk}/publish/", {"minutes": "Changed my mind."}, format="json")
        assert again.status_code == 409
        meeting.refresh_from_db()
        assert meeting.minutes == "Agreed the posters."
        assert Notification.objects.filter(verb="minutes_published", recipient=cast.member).count() == 1


def test_empty_minutes_are_400(api, cast, meeting):
    with once_held(meeting):
        client = api(cast.lead)
        assert client.post(f"{MEETINGS}{meeting.pk}/publish/", {"minutes": "  "}, format="json").status_code == 400
        assert client.post(f"{MEETINGS}{meeting.pk}/publish/", {}, format="json").status_code == 400
        meeting.refresh_from_db()
        assert meeting.published_at is None


def test_the_chair_raises_an_action_item_and_its_owner_hears_of_it(api, cast, meeting):
    body = {"title": "Book the venue", "owner": cast.member.pk, "due_date": "2025-11-12"}
    response = api(cast.lead).post(f"{MEETINGS}{meeting.pk}/action-items/", body, format="json")
    assert response.status_code == 201, response.data
    item = ActionItem.objects.get()
    assert response.json() == {
        "id": item.pk, "title": "Book the venue", "owner": cast.member.pk, "due_date": "2025-11-12", "done": False
    }  # fmt: skip
    assert item.meeting == meeting
    assert Notification.objects.filter(verb="action_item_assigned", recipient=cast.member).exists()
    assert api(cast.lead).get(f"{MEETINGS}{meeting.pk}/").json()["action_items"][0]["id"] == item.pk


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "owner": "member"},
        {"title": "x", "owner": "outsider"},
        {"title": "x", "owner": "viewer"},
        {"title": "x", "owner": 987654},
        {"title": "x", "owner": "member", "due_date": "someday"},
        {"owner": "member"},
    ],
)
def test_bad_action_items_are_400(api, cast, meeting, body):
    body = {**body, "owner": getattr(cast, body["owner"]).pk if isinstance(body["owner"], str) else body["owner"]}
    response = api(cast.lead).post(f"{MEETINGS}{meeting.pk}/action-items/", body, format="json")
    assert response.status_code == 400, response.content
    assert not ActionItem.objects.exists()


def test_a_participant_files_and_then_replaces_their_status_update(api, cast, meeting):
    client = api(cast.member)
    url = f"{MEETINGS}{meeting.pk}/status-update/"
    first = client.post(url, {"done": "Posters", "next": "H5 page", "blockers": ""}, format="json")
    assert first.status_code == 200, first.data
    assert first.json()["user"] == cast.member.pk and first.json()["meeting"] == meeting.pk
    second = client.post(url, {"done": "Posters", "next": "H5 page", "blockers": "Waiting on legal"}, format="json")
    assert second.status_code == 200
    update = StatusUpdate.objects.get()
    assert second.json()["id"] == update.pk
    assert (update.user, update.blockers) == (cast.member, "Waiting on legal")


def test_a_read_only_participant_still_files_their_own_status_update(api, cast, meeting):
    # SPEC 7: every participant files one (and is reminded to); it is their own note, not campaign data.
    response = api(cast.viewer).post(f"{MEETINGS}{meeting.pk}/status-update/", {"done": "Dashboards"}, format="json")
    assert response.status_code == 200
    assert StatusUpdate.objects.get().user == cast.viewer


@pytest.mark.parametrize("person", ["deputy", "executive"])
def test_people_who_are_not_participants_may_not_file_a_status_update(api, cast, meeting, person):
    response = api(getattr(cast, person)).post(f"{MEETINGS}{meeting.pk}/status-update/", {"done": "x"}, format="json")
    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


def test_no_status_update_after_the_minutes_are_published(api, cast, meeting):
    with once_held(meeting):
        api(cast.lead).post(f"{MEETINGS}{meeting.pk}/publish/", {"minutes": "Done."}, format="json")
        response = api(cast.member).post(f"{MEETINGS}{meeting.pk}/status-update/", {"done": "late"}, format="json")
        assert response.status_code == 409


def test_a_status_update_that_is_not_an_object_is_400(api, cast, meeting):
    response = api(cast.member).post(f"{MEETINGS}{meeting.pk}/status-update/", ["x"], format="json")
    assert response.status_code == 400


# --- Query counts --------------------------------------------------------------------------


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200
    return len(queries)


def _add_series(cast, campaign, n):
    for i in range(n):
        series = make_series(cast, campaign, starts_on=dt.date(2025, 11, 3), weekday=i % 5)
        for meeting in series.meetings.all():
            ActionItem.objects.create(meeting=meeting, title=f"Item {i}", owner=cast.member)


def test_the_lists_run_a_constant_number_of_queries(api, cast, campaign):
    client = api(cast.member)
    _add_series(cast, campaign, 1)
    client.get(MEETINGS)  # the requester's roles are loaded once and then cached on the user
    small = (_list_queries(client, MEETINGS), _list_queries(client, SERIES))
    _add_series(cast, campaign, 9)
    assert Meeting.objects.count() >= 40
    assert (_list_queries(client, MEETINGS), _list_queries(client, SERIES)) == small
    assert small[0] <= 6 and small[1] <= 6


def test_the_series_time_is_documented_as_the_hh_mm_it_answers(api, cast, series):
    """Found by tests/test_api_fuzz.py: ``format: time`` means HH:MM:SS, so every "10:00" broke the schema."""
    schema = api().get("/api/schema/?format=json").json()
    documented = schema["components"]["schemas"]["ReviewSeries"]["properties"]["time"]
    assert "format" not in documented
    answered = api(cast.lead).get(f"{SERIES}{series.pk}/").json()["time"]
    assert answered == "10:00"
    assert re.fullmatch(documented["pattern"], answered)
    assert not re.fullmatch(documented["pattern"], "24:00")
