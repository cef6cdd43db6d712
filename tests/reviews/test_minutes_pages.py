"""Issue 7's page controls: per agenda item notes and decisions in standup mode (saved as you go, htmx autosave
too), the minutes draft kept between posts, attendance, moving agenda items, action items made tasks once, the
retrospective form, and the printable minutes and report — who may do what, bad input, constant queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Task
from core.models import Notification
from reviews.models import ActionItem, AgendaNote, Meeting, Retrospective
from reviews.services import action_item_create, agenda_add_item, agenda_note_save, meeting_open, minutes_publish
from tests.reviews.conftest import make_series, meeting_under_way

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def meeting(cast, campaign):
    meeting = meeting_under_way(make_series(cast, campaign))
    for title in ("Posters", "H5 page", "Load test"):
        agenda_add_item(meeting=meeting, actor=cast.lead, title=title)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def retro(cast, campaign):
    series = make_series(cast, campaign, kind="retrospective", weekday=4)
    Meeting.objects.filter(series=series).delete()
    day = dt.date(2025, 10, 17)
    return Meeting.objects.create(
        series=series, nominal_date=day, scheduled_at=dt.datetime.combine(day, dt.time(16), tzinfo=SHANGHAI)
    )


@pytest.fixture
def browser_client():
    """A fresh logged-in test client per call, so several people can act in one test."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def url(name, *args):
    return reverse(f"reviews:{name}", args=args)


def keys(meeting):
    meeting.refresh_from_db()
    return [item["key"] for item in meeting.agenda]


def writes(meeting, cast):
    """Every new write of the meeting pages, with input that the chair could send."""
    action = ActionItem.objects.create(meeting=meeting, title="Book the room", owner=cast.member)
    first = keys(meeting)[0]
    return [
        (url("agenda_note", meeting.pk, first), {"notes": "n", "decision": "d", "item": "1"}),
        (url("minutes_draft", meeting.pk), {"minutes": "draft"}),
        (url("attendance", meeting.pk), {"attendees": [cast.lead.pk]}),
        (url("agenda_move", meeting.pk), {"key": first, "direction": "down"}),
        (url("action_to_task", meeting.pk, action.pk), {}),
    ]


def nothing_written(meeting, before):
    meeting.refresh_from_db()
    assert not AgendaNote.objects.exists()
    assert meeting.minutes == "" and not meeting.attendees.exists()
    assert [i["key"] for i in meeting.agenda] == before
    assert not Task.objects.filter(title="Book the room").exists()


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "viewer", "executive", "deputy"])
def test_only_the_chair_writes_minutes_attendance_order_and_tasks(cast, meeting, browser_client, who):
    # member: a participant; viewer: a read-only participant; executive: reads only; deputy: team, not a participant.
    before = keys(meeting)
    client = browser_client(getattr(cast, who))
    for path, data in writes(meeting, cast):
        assert client.post(path, data).status_code == 403, path
    nothing_written(meeting, before)


def test_outsider_gets_404_on_every_new_page_and_post(cast, meeting, retro, browser_client):
    before = keys(meeting)
    client = browser_client(cast.outsider)
    for path, data in writes(meeting, cast):
        assert client.post(path, data).status_code == 404, path
    for path in (url("minutes_print", meeting.pk), url("retrospective", retro.pk),
                 url("retrospective_print", retro.pk)):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert client.post(url("retrospective", retro.pk), {"goal_score": "3"}).status_code == 404
    nothing_written(meeting, before)
    assert not Retrospective.objects.exists()


def test_new_writes_refuse_get(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    for path, _data in writes(meeting, cast):
        assert client.get(path).status_code == 405, path


# --- Notes and decisions per agenda item -----------------------------------------------------------


def test_chair_records_notes_and_a_decision_per_item_and_steps_on(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    first, second, _third = keys(meeting)
    response = client.post(url("agenda_note", meeting.pk, first),
                           {"notes": "Printer booked", "decision": "Go with 500 copies", "item": "1", "go": "next"})  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("?item=2")
    response = client.post(
        url("agenda_note", meeting.pk, second), {"notes": "", "decision": "Ship 2 March", "item": "2"}
    )
    assert response["Location"].endswith("?item=2")
    notes = {n.item_key: (n.notes, n.decision) for n in AgendaNote.objects.all()}
    assert notes == {first: ("Printer booked", "Go with 500 copies"), second: ("", "Ship 2 March")}
    # Saving again replaces, never duplicates.
    client.post(
        url("agenda_note", meeting.pk, first), {"notes": "Printer booked (confirmed)", "decision": "", "item": "1"}
    )
    assert AgendaNote.objects.filter(item_key=first).get().notes == "Printer booked (confirmed)"
    assert AgendaNote.objects.count() == 2
    page = client.get(url("run", meeting.pk) + "?item=2").content.decode()
    assert "Ship 2 March" in page and 'class="badge text-bg-success ms-1 item-noted"' in page
    assert "Item 2 of 3" in page


def test_autosave_through_htmx_answers_with_a_word(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    first = keys(meeting)[0]
    response = client.post(
        url("agenda_note", meeting.pk, first), {"notes": "typed", "decision": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content.decode() == "Saved."
    assert AgendaNote.objects.get().notes == "typed"
    draft = client.post(url("minutes_draft", meeting.pk), {"minutes": "General"}, HTTP_HX_REQUEST="true")
    assert draft.status_code == 200 and draft.content.decode() == "Draft saved."
    long = client.post(url("agenda_note", meeting.pk, first), {"notes": "x" * 10001}, HTTP_HX_REQUEST="true")
    assert long.status_code == 400 and "10000" in long.content.decode()
    assert AgendaNote.objects.get().notes == "typed"


def test_bad_notes_are_refused_with_the_field_named_and_nothing_saved(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    first = keys(meeting)[0]
    response = client.post(url("agenda_note", meeting.pk, first), {"notes": "ok", "decision": "y" * 10001, "item": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_decision-error"' in page and "at most 10000 characters" in page
    assert not AgendaNote.objects.exists()
    assert client.post(url("agenda_note", meeting.pk, "chair-nosuchkey"), {"notes": "x"}).status_code == 404
    assert not AgendaNote.objects.exists()


def test_the_minutes_draft_survives_other_standup_posts(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    response = client.post(url("minutes_draft", meeting.pk), {"minutes": "Draft: launch on 3/8", "item": "2"})
    assert response.status_code == 302 and response["Location"].endswith("?item=2")
    client.post(url("action_add", meeting.pk), {"title": "Book the venue", "owner": cast.member.pk, "item": "2"})
    client.post(url("attendance", meeting.pk), {"attendees": [cast.lead.pk], "item": "2"})
    page = client.get(url("run", meeting.pk) + "?item=2").content.decode()
    assert "Draft: launch on 3/8" in page
    meeting.refresh_from_db()
    assert meeting.published_at is None and not Notification.objects.filter(verb="minutes_published").exists()


def test_published_minutes_show_attendance_and_each_items_notes(cast, meeting, browser_client):
    first, second, third = keys(meeting)
    agenda_note_save(meeting=meeting, actor=cast.lead, key=second, notes="H5 late", decision="Tech adds two people")
    client = browser_client(cast.lead)
    client.post(url("attendance", meeting.pk), {"attendees": [cast.lead.pk, cast.member.pk]})
    # Before publishing, a participant sees neither the draft notes nor the decision.
    member = browser_client(cast.member)
    assert "Tech adds two people" not in member.get(url("meeting", meeting.pk)).content.decode()
    # Per-item notes alone are minutes enough to publish.
    assert client.post(url("publish", meeting.pk), {"minutes": ""}).status_code == 302
    page = member.get(url("meeting", meeting.pk)).content.decode()
    minutes = page.split('id="minutes"')[1].split('id="actions"')[0]
    assert "H5 late" in minutes and "Tech adds two people" in minutes
    attended = minutes.split('class="small attendance"')[1].split("</p>")[0]
    assert str(cast.lead) in attended and str(cast.member) in attended and str(cast.viewer) not in attended
    # Once published, the minutes are closed: no more notes, attendance, drafts or moves.
    before = keys(meeting)
    for path, data in (
        (url("agenda_note", meeting.pk, first), {"notes": "late"}),
        (url("attendance", meeting.pk), {"attendees": [cast.lead.pk]}),
        (url("minutes_draft", meeting.pk), {"minutes": "late"}),
        (url("agenda_move", meeting.pk), {"key": third, "direction": "up"}),
        (url("open", meeting.pk), {}),  # a refreshed agenda would rewrite the published minutes
    ):
        response = client.post(path, data, follow=True)
        assert "published already" in response.content.decode(), path
    assert AgendaNote.objects.count() == 1 and meeting.attendees.count() == 2 and keys(meeting) == before
    assert url("open", meeting.pk) not in client.get(url("meeting", meeting.pk)).content.decode()
    # The autosave hears it too, in a word rather than a redirect.
    late = client.post(url("agenda_note", meeting.pk, first), {"notes": "late"}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409 and late.content.decode() == "These minutes were published already."
    late = client.post(url("minutes_draft", meeting.pk), {"minutes": "late"}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409
    assert AgendaNote.objects.get().notes == "H5 late"
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_publishing_with_neither_minutes_nor_notes_is_still_refused(cast, meeting, browser_client):
    assert browser_client(cast.lead).post(url("publish", meeting.pk), {"minutes": " "}).status_code == 400
    meeting.refresh_from_db()
    assert meeting.published_at is None


def test_refreshing_the_agenda_keeps_items_that_have_minutes(cast, meeting):
    from campaigns.services import task_save

    task = task_save(campaign=meeting.series.campaign, actor=cast.lead, title="Print posters",
                     start_date=dt.date(2025, 8, 20), due_date=dt.date(2025, 8, 30))  # fmt: skip
    meeting = meeting_open(meeting=meeting, actor=cast.lead)
    key = next(i["key"] for i in meeting.agenda if i["title"] == "Print posters")
    agenda_note_save(meeting=meeting, actor=cast.lead, key=key, decision="Reprint")
    task.status = "done"
    task.save(update_fields=["status"])
    meeting = meeting_open(meeting=meeting, actor=cast.lead)  # the task is no longer late, but it has a decision
    assert key in [i["key"] for i in meeting.agenda]
    assert [i["title"] for i in meeting.agenda if i["kind"] == "chair"] == ["Posters", "H5 page", "Load test"]


# --- Attendance ------------------------------------------------------------------------------------


def test_chair_marks_attendance_with_checkboxes(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    page = client.get(url("run", meeting.pk)).content.decode()
    form = page.split('class="attendance-form"')[1].split("</form>")[0]
    assert form.count('type="checkbox"') == 3  # the chair (a participant too), member, viewer
    response = client.post(url("attendance", meeting.pk), {"attendees": [cast.lead.pk, cast.viewer.pk], "item": "3"})
    assert response.status_code == 302 and response["Location"].endswith("?item=3")
    assert set(meeting.attendees.all()) == {cast.lead, cast.viewer}
    client.post(url("attendance", meeting.pk), {"attendees": [cast.member.pk]})
    assert set(meeting.attendees.all()) == {cast.member}
    page = client.get(url("run", meeting.pk)).content.decode()
    boxes = {box.split('value="')[1].split('"')[0]: "checked" in box for box in page.split('name="attendees"')[1:]}
    assert boxes == {str(cast.lead.pk): False, str(cast.member.pk): True, str(cast.viewer.pk): False}


def test_attendance_of_a_non_participant_is_refused_and_nothing_changes(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    client.post(url("attendance", meeting.pk), {"attendees": [cast.member.pk]})
    response = client.post(url("attendance", meeting.pk), {"attendees": [cast.lead.pk, cast.deputy.pk]})
    assert response.status_code == 400
    assert 'id="attendees-error"' in response.content.decode()
    assert "Only the meeting&#x27;s participants can be marked as attending." in response.content.decode()
    assert set(meeting.attendees.all()) == {cast.member}


# --- Agenda order ----------------------------------------------------------------------------------


def test_chair_moves_agenda_items_up_and_down(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    a, b, c = keys(meeting)
    page = client.get(url("meeting", meeting.pk)).content.decode()
    assert page.count('class="btn-group btn-group-sm agenda-move"') == 3
    response = client.post(url("agenda_move", meeting.pk), {"key": c, "direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith("#agenda")
    assert keys(meeting) == [a, c, b]
    client.post(url("agenda_move", meeting.pk), {"key": a, "direction": "up"})  # already first: stays
    assert keys(meeting) == [a, c, b]
    client.post(url("agenda_move", meeting.pk), {"key": a, "direction": "down"})
    assert keys(meeting) == [c, a, b]
    assert client.post(url("agenda_move", meeting.pk), {"key": a, "direction": "sideways"}).status_code == 400
    assert client.post(url("agenda_move", meeting.pk), {"key": "chair-gone", "direction": "up"}).status_code == 404
    assert keys(meeting) == [c, a, b]
    assert "agenda-move" not in browser_client(cast.member).get(url("meeting", meeting.pk)).content.decode()


# --- Action items to tasks -------------------------------------------------------------------------


def test_an_action_item_becomes_a_task_once(cast, meeting, browser_client):
    action = action_item_create(meeting=meeting, actor=cast.lead, title="Book the venue", owner=cast.member,
                                due_date=dt.date(2025, 12, 1))  # fmt: skip
    client = browser_client(cast.lead)
    assert url("action_to_task", meeting.pk, action.pk) in client.get(url("meeting", meeting.pk)).content.decode()
    response = client.post(url("action_to_task", meeting.pk, action.pk), follow=True)
    assert "is now a task of the campaign" in response.content.decode()
    task = Task.objects.get(title="Book the venue")
    assert (task.owner, task.due_date) == (cast.member, dt.date(2025, 12, 1))
    again = client.post(url("action_to_task", meeting.pk, action.pk), follow=True)
    assert "is a task already" in again.content.decode()
    assert Task.objects.filter(title="Book the venue").count() == 1
    page = client.get(url("meeting", meeting.pk)).content.decode()
    assert url("action_to_task", meeting.pk, action.pk) not in page and f"/tasks/{task.pk}/" in page
    # Another meeting's action item is not reachable through this meeting.
    other = Meeting.objects.exclude(pk=meeting.pk).filter(series=meeting.series).first()
    assert client.post(url("action_to_task", other.pk, action.pk)).status_code == 404


def test_members_see_action_items_without_the_task_button(cast, meeting, browser_client):
    action = action_item_create(meeting=meeting, actor=cast.lead, title="Book the venue", owner=cast.member)
    page = browser_client(cast.member).get(url("meeting", meeting.pk)).content.decode()
    assert "Book the venue" in page and url("action_to_task", meeting.pk, action.pk) not in page


# --- Retrospective ---------------------------------------------------------------------------------


def retro_post(cast, **kw):
    data = {
        "goal_score": "4", "goal_comment": "1.2 M new users, 80 % of target",
        "efficiency_score": "3", "efficiency_comment": "Over on media",
        "innovation_score": "5", "innovation_comment": "AR try-on",
        "improvement_score": "2", "improvement_comment": "Late creatives",
        "lessons": "Start creatives earlier", "suggestions": "Book servers a month ahead",
        "responsibilities": "Tech: capacity; marketing: creatives",
        "improvements-TOTAL_FORMS": "3", "improvements-INITIAL_FORMS": "0",
        "improvements-MIN_NUM_FORMS": "0", "improvements-MAX_NUM_FORMS": "10",
        "improvements-0-title": "Creatives two weeks earlier", "improvements-0-owner": str(cast.member.pk),
        "improvements-0-due_date": "2025-11-01",
        "improvements-1-title": "", "improvements-1-owner": "", "improvements-1-due_date": "",
        "improvements-2-title": "", "improvements-2-owner": "", "improvements-2-due_date": "",
    }  # fmt: skip
    data.update(kw)
    return data


def test_chair_scores_the_retrospective_through_the_page(cast, retro, browser_client):
    client = browser_client(cast.lead)
    form = client.get(url("retrospective", retro.pk))
    assert form.status_code == 200 and 'name="goal_score"' in form.content.decode()
    response = client.post(url("retrospective", retro.pk), retro_post(cast))
    assert response.status_code == 302 and response["Location"].endswith("#retrospective")
    saved = Retrospective.objects.get(meeting=retro)
    scores = (saved.goal_score, saved.efficiency_score, saved.innovation_score, saved.improvement_score)
    assert scores == (4, 3, 5, 2)
    assert saved.responsibilities == "Tech: capacity; marketing: creatives"
    action = ActionItem.objects.get(meeting=retro)
    assert (action.title, action.owner, action.due_date) == ("Creatives two weeks earlier", cast.member,
                                                             dt.date(2025, 11, 1))  # fmt: skip
    assert Notification.objects.filter(recipient=cast.member, verb="action_item_assigned").count() == 1
    # The form comes back filled in for another edit.
    again = client.get(url("retrospective", retro.pk)).content.decode()
    assert "Start creatives earlier" in again
    # Participants (even read-only ones) read the report on the meeting page and its printable copy.
    for who in (cast.member, cast.viewer, cast.executive):
        page = browser_client(who).get(url("meeting", retro.pk)).content.decode()
        assert "AR try-on" in page and url("retrospective_print", retro.pk) in page
        assert url("retrospective", retro.pk) + '"' not in page
        printed = browser_client(who).get(url("retrospective_print", retro.pk)).content.decode()
        assert "Book servers a month ahead" in printed and "5/5" in printed and "data-print" in printed


@pytest.mark.parametrize(
    "change, field",
    [
        ({"goal_score": "6"}, "goal_score"),
        ({"innovation_score": ""}, "innovation_score"),
        ({"improvements-0-owner": ""}, "improvements-0-owner"),
        ({"improvements-0-owner": "999999"}, "improvements-0-owner"),
        ({"improvements-1-owner": "member"}, "improvements-1-title"),  # an owner without a title
    ],
)
def test_bad_retrospective_input_names_the_field_and_saves_nothing(cast, retro, browser_client, change, field):
    change = {k: str(cast.member.pk) if v == "member" else v for k, v in change.items()}
    response = browser_client(cast.lead).post(url("retrospective", retro.pk), retro_post(cast, **change))
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not Retrospective.objects.exists() and not ActionItem.objects.exists()
    assert not Notification.objects.filter(verb="action_item_assigned").exists()


def test_an_improvement_for_a_viewer_rolls_the_whole_retrospective_back(cast, retro, browser_client):
    response = browser_client(cast.lead).post(
        url("retrospective", retro.pk), retro_post(cast, **{"improvements-0-owner": str(cast.viewer.pk)})
    )
    assert response.status_code == 400
    assert not Retrospective.objects.exists() and not ActionItem.objects.exists()


@pytest.mark.parametrize("who", ["member", "viewer", "executive"])
def test_only_the_chair_scores_the_retrospective(cast, retro, browser_client, who):
    client = browser_client(getattr(cast, who))
    assert client.get(url("retrospective", retro.pk)).status_code == 403
    assert client.post(url("retrospective", retro.pk), retro_post(cast)).status_code == 403
    assert not Retrospective.objects.exists() and not ActionItem.objects.exists()


def test_a_standup_has_no_retrospective_form_and_an_unscored_retro_no_report(cast, meeting, retro, browser_client):
    client = browser_client(cast.lead)
    assert client.get(url("retrospective", meeting.pk)).status_code == 404
    assert client.get(url("retrospective_print", retro.pk)).status_code == 404
    assert "Score the retrospective" in client.get(url("meeting", retro.pk)).content.decode()


# --- Printable minutes -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "member", "viewer", "executive"])
def test_printable_minutes_are_readable_by_everyone_with_a_role(cast, meeting, browser_client, who):
    first = keys(meeting)[0]
    agenda_note_save(meeting=meeting, actor=cast.lead, key=first, notes="500 copies", decision="Printer A")
    meeting.attendees.set([cast.lead, cast.member])
    action_item_create(meeting=meeting, actor=cast.lead, title="Book the venue", owner=cast.member)
    minutes_publish(meeting=meeting, actor=cast.lead, minutes="All agreed.")
    page = browser_client(getattr(cast, who)).get(url("minutes_print", meeting.pk)).content.decode()
    assert "500 copies" in page and "Printer A" in page and "All agreed." in page and "Book the venue" in page
    attended = page.split('class="mb-0 attendance"')[1].split("</p>")[0]
    assert str(cast.member) in attended and str(cast.viewer) not in attended
    assert "data-print" in page and "d-print-none" in page


def test_unpublished_printable_minutes_hide_the_draft_from_participants(cast, meeting, browser_client):
    agenda_note_save(meeting=meeting, actor=cast.lead, key=keys(meeting)[0], decision="Secret draft")
    member_page = browser_client(cast.member).get(url("minutes_print", meeting.pk)).content.decode()
    assert "Secret draft" not in member_page and "Not published yet." in member_page
    assert "Secret draft" in browser_client(cast.lead).get(url("minutes_print", meeting.pk)).content.decode()


# --- Query counts ----------------------------------------------------------------------------------


def _grow(cast, meeting, n):
    for i in range(n):
        agenda_add_item(meeting=meeting, actor=cast.lead, title=f"Extra {i}")
    meeting.refresh_from_db()
    for key in [i["key"] for i in meeting.agenda]:
        agenda_note_save(meeting=meeting, actor=cast.lead, key=key, notes="n", decision="d")
    for i in range(n):
        action_item_create(meeting=meeting, actor=cast.lead, title=f"Action {i}", owner=cast.member)
    meeting.attendees.set([cast.lead, cast.member, cast.viewer])


@pytest.mark.parametrize("page", ["meeting", "run", "minutes_print"])
def test_meeting_pages_keep_a_constant_query_count(cast, meeting, browser_client, django_assert_max_num_queries, page):
    client = browser_client(cast.lead)
    client.get(url(page, meeting.pk))
    _grow(cast, meeting, 1)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url(page, meeting.pk)).status_code == 200
    _grow(cast, meeting, 8)
    with django_assert_max_num_queries(12) as large:
        assert client.get(url(page, meeting.pk)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_retrospective_pages_keep_a_constant_query_count(
    cast, retro, browser_client, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE = False  # the pages' own queries each time (the retrospective page shows no action item, so
    # a second look at it after they are added is rightly a page cache hit)
    client = browser_client(cast.lead)
    client.post(url("retrospective", retro.pk), retro_post(cast))
    counts = []
    for _round in range(2):
        for i in range(5):
            action_item_create(meeting=retro, actor=cast.lead, title=f"Improve {i}", owner=cast.member)
        for name in ("meeting", "retrospective", "retrospective_print"):
            with django_assert_max_num_queries(12) as captured:
                assert client.get(url(name, retro.pk)).status_code == 200
            counts.append(len(captured.captured_queries))
    assert counts[:3] == counts[3:]
