"""The meetings API for issue 7's minutes: ``agenda`` items carry ``notes`` and ``decision``, written through
``POST meetings/{id}/agenda/{key}/``; ``attendees`` (user ids) is read with the meeting and written by the chair
with PATCH. Access, bad input (the field named, nothing half-saved) and constant list queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import AgendaNote, Meeting
from reviews.services import agenda_add_item, agenda_note_save, minutes_publish
from tests.reviews.conftest import make_series, once_held

pytestmark = pytest.mark.django_db
MEETINGS = "/api/v1/meetings/"
NOW = dt.datetime(2025, 11, 3, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def meeting(cast, campaign):
    series = make_series(cast, campaign, starts_on=dt.date(2025, 11, 3))
    meeting = series.meetings.order_by("scheduled_at").first()
    for title in ("Posters", "H5 page"):
        agenda_add_item(meeting=meeting, actor=cast.lead, title=title)
    meeting.refresh_from_db()
    return meeting


def item_url(meeting, key):
    return f"{MEETINGS}{meeting.pk}/agenda/{key}/"


def test_the_agenda_carries_each_items_notes_and_decision(api, cast, meeting):
    first, second = (item["key"] for item in meeting.agenda)
    response = api(cast.lead).post(item_url(meeting, first), {"notes": "500 copies", "decision": "Printer A"},
                                   format="json")  # fmt: skip
    assert response.status_code == 200, response.data
    assert response.json() == {"key": first, "kind": "chair", "title": "Posters", "url": "", "notes": "500 copies",
                               "decision": "Printer A"}  # fmt: skip
    # A field left out keeps its text; a field sent replaces it.
    assert api(cast.lead).post(item_url(meeting, first), {"decision": "Printer B"}, format="json").status_code == 200
    body = api(cast.member).get(f"{MEETINGS}{meeting.pk}/").json()
    agenda = {item["key"]: (item["title"], item["notes"], item["decision"]) for item in body["agenda"]}
    assert agenda == {first: ("Posters", "500 copies", "Printer B"), second: ("H5 page", "", "")}
    assert [item["key"] for item in body["agenda"]] == [first, second]  # the chair's order


@pytest.mark.parametrize("who", ["member", "viewer", "executive", "deputy"])
def test_only_the_chair_writes_item_notes_and_attendance(api, cast, meeting, who):
    client = api(getattr(cast, who))
    key = meeting.agenda[0]["key"]
    assert client.post(item_url(meeting, key), {"notes": "x"}, format="json").status_code == 403
    assert client.patch(f"{MEETINGS}{meeting.pk}/", {"attendees": [cast.lead.pk]}, format="json").status_code == 403
    assert not AgendaNote.objects.exists() and not meeting.attendees.exists()


def test_outsiders_get_404(api, cast, meeting):
    client = api(cast.outsider)
    key = meeting.agenda[0]["key"]
    assert client.post(item_url(meeting, key), {"notes": "x"}, format="json").status_code == 404
    assert client.patch(f"{MEETINGS}{meeting.pk}/", {"attendees": [cast.lead.pk]}, format="json").status_code == 404
    assert client.get(f"{MEETINGS}{meeting.pk}/").status_code == 404
    assert not AgendaNote.objects.exists() and not meeting.attendees.exists()


def test_bad_item_input(api, cast, meeting):
    client = api(cast.lead)
    key = meeting.agenda[0]["key"]
    assert client.post(item_url(meeting, "chair-nosuch"), {"notes": "x"}, format="json").status_code == 404
    too_long = client.post(item_url(meeting, key), {"notes": "ok", "decision": "x" * 10001}, format="json")
    assert too_long.status_code == 400 and set(too_long.json()) == {"decision"}
    wrong_type = client.post(item_url(meeting, key), {"notes": ["a"]}, format="json")
    assert wrong_type.status_code == 400 and set(wrong_type.json()) == {"notes"}
    assert client.post(item_url(meeting, key), ["x"], format="json").status_code == 400
    assert not AgendaNote.objects.exists()


def test_the_chair_records_attendance(api, cast, meeting):
    client = api(cast.lead)
    response = client.patch(f"{MEETINGS}{meeting.pk}/", {"attendees": [cast.member.pk, cast.lead.pk]}, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["attendees"] == sorted([cast.lead.pk, cast.member.pk])
    assert set(meeting.attendees.all()) == {cast.lead, cast.member}
    assert client.patch(f"{MEETINGS}{meeting.pk}/", {"attendees": []}, format="json").json()["attendees"] == []
    assert not meeting.attendees.exists()


@pytest.mark.parametrize(
    "attendees",
    [
        "deputy",  # on the team, not a participant
        "outsider",  # not on the team at all
        999999,  # nobody
        "x",
        None,
    ],
)
def test_attendance_of_anyone_but_participants_is_400_naming_the_field(api, cast, meeting, attendees):
    meeting.attendees.set([cast.member])
    ids = [getattr(cast, attendees).pk] if isinstance(attendees, str) and hasattr(cast, attendees) else [attendees]
    response = api(cast.lead).patch(f"{MEETINGS}{meeting.pk}/", {"attendees": [cast.lead.pk, *ids]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"attendees"}
    assert set(meeting.attendees.all()) == {cast.member}  # nothing half-saved


def test_attendance_is_required_in_a_patch(api, cast, meeting):
    response = api(cast.lead).patch(f"{MEETINGS}{meeting.pk}/", {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"attendees"}


def test_published_minutes_are_closed_to_notes_attendance_and_a_new_agenda(api, cast, meeting):
    with once_held(meeting):
        key = meeting.agenda[0]["key"]
        agenda_note_save(meeting=meeting, actor=cast.lead, key=key, decision="Go")
        meeting.attendees.set([cast.lead])
        minutes_publish(meeting=meeting, actor=cast.lead, minutes="")
        client = api(cast.lead)
        assert client.post(item_url(meeting, key), {"decision": "Stop"}, format="json").status_code == 409
        assert (
            client.patch(f"{MEETINGS}{meeting.pk}/", {"attendees": [cast.member.pk]}, format="json").status_code == 409
        )
        assert client.post(f"{MEETINGS}{meeting.pk}/open/").status_code == 409
        assert AgendaNote.objects.get().decision == "Go" and set(meeting.attendees.all()) == {cast.lead}
        meeting.refresh_from_db()
        assert [item["key"] for item in meeting.agenda][0] == key


def test_the_meeting_list_stays_at_constant_queries_with_notes_and_attendees(api, cast, campaign):
    client = api(cast.member)

    def grow(n):
        series = make_series(cast, campaign, starts_on=dt.date(2025, 11, 3), weekday=n % 5)
        for m in series.meetings.all():
            for i in range(n):
                agenda_add_item(meeting=m, actor=cast.lead, title=f"Item {i}")
            m.refresh_from_db()
            for item in m.agenda:
                agenda_note_save(meeting=m, actor=cast.lead, key=item["key"], notes="n", decision="d")
            m.attendees.set([cast.lead, cast.member])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MEETINGS, {"page_size": 200}).status_code == 200
        return len(queries)

    grow(1)
    client.get(MEETINGS)
    small = count()
    grow(4)
    assert Meeting.objects.count() >= 8 and AgendaNote.objects.count() >= 20
    assert count() == small
    assert small <= 6


def test_a_read_only_user_is_refused_before_the_body_is_read(api, cast, meeting):
    """A viewer sending an empty body learns 403, not which fields a chair would have to send."""
    client = api(cast.viewer)
    for method, path in (
        ("patch", f"/api/v1/meetings/{meeting.pk}/"),
        ("post", f"/api/v1/meetings/{meeting.pk}/publish/"),
        ("post", f"/api/v1/meetings/{meeting.pk}/action-items/"),
        ("post", f"/api/v1/meetings/{meeting.pk}/retrospective/"),
    ):
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 403, (path, response.status_code, response.content)
