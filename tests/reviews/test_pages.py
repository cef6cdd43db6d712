"""The review pages: who sees and does what (lead chairs, member takes part, viewer and executive read,
outsider gets 404), status updates upserted, the chair seeing who has not filed, and minutes published once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.models import Notification
from reviews.models import ActionItem, MeetingStatus, ReviewSeries, StatusUpdate
from tests.reviews.conftest import make_series, meeting_under_way

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast, campaign):
    return meeting_under_way(make_series(cast, campaign))


def url(name, meeting=None):
    return reverse(f"reviews:{name}", args=[meeting.pk] if meeting else [])


# --- Reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "member", "viewer", "executive"])
def test_list_and_meeting_page_are_readable_by_everyone_with_a_role(cast, meeting, browser_client, who):
    client = browser_client(getattr(cast, who))
    listing = client.get(url("list"))
    assert listing.status_code == 200
    upcoming = meeting.series.meetings.filter(scheduled_at__gt=meeting.scheduled_at).order_by("scheduled_at").first()
    assert url("meeting", upcoming).encode() in listing.content  # the list shows the meetings ahead
    assert client.get(url("meeting", meeting)).status_code == 200


def test_outsider_sees_no_series_and_gets_404_on_every_page_and_post(cast, meeting, browser_client):
    client = browser_client(cast.outsider)
    listing = client.get(url("list"))
    assert listing.status_code == 200
    assert b"No review series yet" in listing.content
    assert url("meeting", meeting).encode() not in listing.content
    assert client.get(url("meeting", meeting)).status_code == 404
    assert client.get(url("run", meeting)).status_code == 404
    assert client.get(f"{url('series_create')}?campaign={meeting.series.campaign_id}").status_code == 404
    for name in ("status_update", "open", "agenda_add", "action_add", "publish"):
        assert client.post(url(name, meeting), {"title": "x", "minutes": "x", "done": "x"}).status_code == 404, name


def test_list_with_nothing_shows_the_empty_state(cast, browser_client):
    response = browser_client(cast.lead).get(url("list"))
    assert response.status_code == 200
    assert b"No review series yet" in response.content


def test_meeting_page_shows_the_chair_controls_only_to_the_chair(cast, meeting, browser_client):
    lead_page = browser_client(cast.lead).get(url("meeting", meeting)).content.decode()
    assert url("open", meeting) in lead_page and url("run", meeting) in lead_page
    member_page = browser_client(cast.member).get(url("meeting", meeting)).content.decode()
    assert url("open", meeting) not in member_page and url("run", meeting) not in member_page
    assert url("status_update", meeting) in member_page
    viewer_page = browser_client(cast.viewer).get(url("meeting", meeting)).content.decode()
    assert url("status_update", meeting) not in viewer_page


# --- New series ------------------------------------------------------------------------------------


def _series_post(cast):
    return {
        "title": "Retro",
        "kind": "retrospective",
        "weekday": "4",
        "time": "16:00",
        "starts_on": dt.date.today().isoformat(),
        "chair": cast.lead.pk,
        "participants": [cast.lead.pk, cast.member.pk],
        "reminder_lead_hours": "24",
        "holiday_policy": "next_workday",
    }


def test_member_creates_a_series_and_its_meetings_exist(cast, campaign, browser_client):
    client = browser_client(cast.member)
    assert client.get(f"{url('series_create')}?campaign={campaign.pk}").status_code == 200
    response = client.post(f"{url('series_create')}?campaign={campaign.pk}", _series_post(cast))
    assert response.status_code == 302
    series = ReviewSeries.objects.get(campaign=campaign, title="Retro")
    assert series.interval_weeks == 2 and series.weekday == 4 and series.chair == cast.lead
    assert set(series.participants.all()) == {cast.lead, cast.member}
    assert series.meetings.exists()


@pytest.mark.parametrize("who", ["viewer", "executive"])
def test_read_only_people_cannot_create_a_series(cast, campaign, browser_client, who):
    client = browser_client(getattr(cast, who))
    assert client.get(f"{url('series_create')}?campaign={campaign.pk}").status_code == 403
    assert client.post(f"{url('series_create')}?campaign={campaign.pk}", _series_post(cast)).status_code == 403
    assert not ReviewSeries.objects.filter(title="Retro").exists()


def test_series_form_reports_bad_input(cast, campaign, browser_client):
    data = {**_series_post(cast), "chair": cast.outsider.pk}
    response = browser_client(cast.lead).post(f"{url('series_create')}?campaign={campaign.pk}", data)
    assert response.status_code == 400
    assert not ReviewSeries.objects.filter(title="Retro").exists()


# --- Status updates --------------------------------------------------------------------------------


def test_participant_files_a_status_update_and_filing_again_updates_it(cast, meeting, browser_client):
    client = browser_client(cast.member)
    first = client.post(url("status_update", meeting), {"done": "Posters", "next": "H5", "blockers": ""})
    assert first.status_code == 302
    second = client.post(
        url("status_update", meeting), {"done": "Posters and banners", "next": "H5", "blockers": "API"}
    )
    assert second.status_code == 302
    update = StatusUpdate.objects.get(meeting=meeting, user=cast.member)
    assert (update.done, update.blockers) == ("Posters and banners", "API")
    assert StatusUpdate.objects.filter(meeting=meeting).count() == 1
    page = client.get(url("meeting", meeting)).content.decode()
    assert "Posters and banners" in page  # the form shows what was filed


def test_empty_status_update_is_refused(cast, meeting, browser_client):
    response = browser_client(cast.member).post(url("status_update", meeting), {"done": "", "next": "", "blockers": ""})
    assert response.status_code == 400
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "executive", "deputy"])
def test_status_update_is_refused_to_read_only_people_and_non_participants(cast, meeting, browser_client, who):
    # viewer: a participant but read-only; executive: reads only; deputy: on the team but not a participant.
    response = browser_client(getattr(cast, who)).post(url("status_update", meeting), {"done": "x"})
    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


def test_chair_sees_who_has_not_filed(cast, meeting, browser_client):
    browser_client(cast.member).post(url("status_update", meeting), {"done": "Posters"})
    page = browser_client(cast.lead).get(url("meeting", meeting)).content.decode()
    assert "2 have not filed" in page and "1 filed" in page
    not_filed = page.split('class="not-filed')[1].split("</ul>")[0]
    assert str(cast.viewer) in not_filed and str(cast.lead) in not_filed and str(cast.member) not in not_filed
    member_page = browser_client(cast.member).get(url("meeting", meeting)).content.decode()
    assert "have not filed" not in member_page


# --- Running the meeting ---------------------------------------------------------------------------


def test_chair_opens_the_agenda_and_others_get_403(cast, meeting, browser_client):
    assert browser_client(cast.member).post(url("open", meeting)).status_code == 403
    assert browser_client(cast.viewer).post(url("open", meeting)).status_code == 403
    assert browser_client(cast.executive).post(url("open", meeting)).status_code == 403
    ActionItem.objects.create(meeting=meeting, title="carry", owner=cast.member)  # same meeting: not carried
    response = browser_client(cast.lead).post(url("open", meeting))
    assert response.status_code == 302
    assert response["Location"].endswith(url("meeting", meeting) + "#agenda")


@pytest.mark.parametrize("who", ["member", "viewer", "executive"])
def test_run_page_is_the_chairs(cast, meeting, browser_client, who):
    assert browser_client(getattr(cast, who)).get(url("run", meeting)).status_code == 403


def test_chair_steps_through_agenda_items(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    assert client.get(url("run", meeting)).status_code == 200
    for title in ("Posters", "H5 page"):
        assert client.post(url("agenda_add", meeting), {"title": title}).status_code == 302
    meeting.refresh_from_db()
    assert [i["title"] for i in meeting.agenda] == ["Posters", "H5 page"]
    first = client.get(url("run", meeting)).content.decode()
    assert "Posters" in first and "?item=2" in first and "?item=0" not in first
    second = client.get(url("run", meeting) + "?item=2").content.decode()
    assert "H5 page" in second and "?item=1" in second
    assert client.get(url("run", meeting) + "?item=abc").status_code == 200


@pytest.mark.parametrize("who", ["member", "viewer", "executive"])
def test_others_cannot_add_agenda_items_or_action_items(cast, meeting, browser_client, who):
    client = browser_client(getattr(cast, who))
    assert client.post(url("agenda_add", meeting), {"title": "x"}).status_code == 403
    assert client.post(url("action_add", meeting), {"title": "x", "owner": cast.member.pk}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.agenda == [] and not ActionItem.objects.exists()


def test_chair_assigns_an_action_item_and_the_owner_is_notified(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    data = {"title": "Book the venue", "owner": cast.member.pk, "due_date": "2026-12-01", "item": "1"}
    assert client.post(url("action_add", meeting), data).status_code == 302
    action = ActionItem.objects.get(meeting=meeting)
    assert (action.owner, action.due_date) == (cast.member, dt.date(2026, 12, 1))
    assert Notification.objects.filter(recipient=cast.member, verb="action_item_assigned").count() == 1
    assert "Book the venue" in client.get(url("meeting", meeting)).content.decode()


def test_action_item_owner_must_be_on_the_team(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    for owner in (cast.viewer, cast.outsider):
        response = client.post(url("action_add", meeting), {"title": "x", "owner": owner.pk})
        assert response.status_code == 400
    assert not ActionItem.objects.exists()


# --- Publishing ------------------------------------------------------------------------------------


def test_publishing_happens_once_through_the_page(cast, meeting, browser_client):
    client = browser_client(cast.lead)
    run = client.get(url("run", meeting)).content.decode()
    assert "data-confirm=" in run and url("publish", meeting) in run
    response = client.post(url("publish", meeting), {"minutes": "Decided: launch on 3/8."})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.published_at is not None
    sent = Notification.objects.filter(verb="minutes_published").count()
    assert sent == 3  # lead (participant and campaign lead: once), member, viewer
    again = client.post(url("publish", meeting), {"minutes": "Changed"}, follow=True)
    assert again.status_code == 200
    assert "published already" in again.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "Decided: launch on 3/8."
    assert Notification.objects.filter(verb="minutes_published").count() == sent
    page = client.get(url("meeting", meeting)).content.decode()
    assert "Decided: launch on 3/8." in page


def test_publishing_empty_minutes_is_refused(cast, meeting, browser_client):
    response = browser_client(cast.lead).post(url("publish", meeting), {"minutes": "  "})
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.published_at is None


@pytest.mark.parametrize("who", ["member", "viewer", "executive"])
def test_others_cannot_publish(cast, meeting, browser_client, who):
    response = browser_client(getattr(cast, who)).post(url("publish", meeting), {"minutes": "x"})
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.published_at is None
    assert not Notification.objects.filter(verb="minutes_published").exists()


def test_list_page_query_count_does_not_grow_with_series(cast, campaign, browser_client, django_assert_max_num_queries):
    for weekday in range(4):
        make_series(cast, campaign, weekday=weekday)
    client = browser_client(cast.lead)
    client.get(url("list"))
    with django_assert_max_num_queries(12):
        assert client.get(url("list")).status_code == 200
