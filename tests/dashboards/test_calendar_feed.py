"""The personal calendar feed and my tasks (SPEC 10.3, issue 16): the ICS is parsed back with the icalendar
library — events, stable UIDs across two fetches, the TZID and its VTIMEZONE, a cancelled meeting — and the URL
stops working after a reset. Also ``me/tasks/``: mine only, late first, filters checked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from campaigns.services import milestone_save
from reviews.models import Meeting
from reviews.schedule import series_generate_meetings
from tests.factories import CampaignFactory, PhaseFactory, ReviewSeriesFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(cast):
    campaign = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027", name="2027 女神節")
    phase = PhaseFactory(campaign=campaign, actor=cast.lead, name="預熱期 Warm-up")
    milestone = milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name="上線 Launch",
                               due_date=dt.date(2027, 2, 20))  # fmt: skip
    late = TaskFactory(campaign=campaign, actor=cast.lead, title="FAQ 知識庫", owner=cast.member,
                       start_date=dt.date(2027, 2, 10), due_date=dt.date(2027, 2, 12))  # fmt: skip
    later = TaskFactory(campaign=campaign, actor=cast.lead, title="話務培訓", owner=cast.member,
                        start_date=dt.date(2027, 2, 10), due_date=dt.date(2027, 3, 1))  # fmt: skip
    TaskFactory(campaign=campaign, actor=cast.lead, title="Not mine", owner=cast.deputy)
    series = ReviewSeriesFactory(campaign=campaign, actor=cast.lead, participants=[cast.lead, cast.member])
    series_generate_meetings(series, today=dt.date(2027, 2, 10), weeks=3)
    return {"campaign": campaign, "milestone": milestone, "late": late, "later": later, "series": series}


def fetch(client, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_the_feed_holds_my_meetings_milestones_and_due_tasks_with_stable_uids(api, client, cast, plan):
    url = api(cast.member).get("/api/v1/me/calendar/").json()["url"]
    assert "/feeds/calendar/" in url and url.endswith(".ics")
    meetings = list(Meeting.objects.filter(series=plan["series"]).order_by("scheduled_at"))
    assert len(meetings) >= 2
    Meeting.objects.filter(pk=meetings[1].pk).update(status="cancelled")
    client.logout()  # calendar apps have no session
    first, second = fetch(client, url), fetch(client, url)
    events = {str(e["UID"]): e for e in first.walk("VEVENT")}
    assert [str(e["UID"]) for e in first.walk("VEVENT")] == [str(e["UID"]) for e in second.walk("VEVENT")]
    assert str(first["VERSION"]) == "2.0" and first.get("PRODID")
    meeting = events[f"meeting-{meetings[0].pk}@concord"]
    assert meeting["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert meeting["DTSTART"].dt == meetings[0].scheduled_at
    assert str(meeting["STATUS"]) == "CONFIRMED" and f"/reviews/meetings/{meetings[0].pk}/" in str(meeting["URL"])
    assert str(events[f"meeting-{meetings[1].pk}@concord"]["STATUS"]) == "CANCELLED"
    assert [tz["TZID"] for tz in first.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert f"milestone-{plan['milestone'].pk}@concord" in events, sorted(events)
    milestone = events[f"milestone-{plan['milestone'].pk}@concord"]
    assert milestone["DTSTART"].dt == dt.date(2027, 2, 20) and "上線 Launch" in str(milestone["SUMMARY"])
    task = events[f"task-{plan['late'].pk}@concord"]
    assert task["DTSTART"].dt == dt.date(2027, 2, 12) and "FAQ 知識庫" in str(task["SUMMARY"])
    assert not any("Not mine" in str(e["SUMMARY"]) for e in events.values())
    for event in first.walk("VEVENT"):  # RFC 5545 3.6.1: UID and DTSTAMP are required
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART")


def test_a_reset_address_stops_the_old_one_and_forged_ones_never_work(api, client, cast, plan):
    old = api(cast.member).get("/api/v1/me/calendar/").json()["url"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):  # the same until reset, whenever asked
        assert api(cast.member).get("/api/v1/me/calendar/").json()["url"] == old
    new = api(cast.member).post("/api/v1/me/calendar/reset/").json()["url"]
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(f"/feeds/calendar/{token[:-2]}xx.ics").status_code == 404
    assert client.get("/feeds/calendar/not-a-token.ics").status_code == 404
    from django.core import signing

    from dashboards.calendar_feed import SALT

    stamped = signing.dumps({"u": cast.member.pk, "v": 2}, salt=SALT, compress=True)  # as given out before
    assert client.get(f"/feeds/calendar/{stamped}.ics").status_code == 200
    assert (
        client.get(f"/feeds/calendar/{signing.dumps({'u': cast.member.pk, 'v': 1}, salt=SALT)}.ics").status_code == 404
    )
    cast.member.is_active = False
    cast.member.save()
    assert client.get(new).status_code == 404
    assert api().get("/api/v1/me/calendar/").status_code == 401


def test_the_profile_page_offers_copy_and_reset(client, cast, plan):
    client.force_login(cast.member)
    page = client.get("/profile/calendar/").content.decode()
    assert "/feeds/calendar/" in page and "data-copy" in page and "Reset the address" in page
    before = client.get("/profile/calendar/").content.decode()
    assert client.post("/profile/calendar/").status_code == 302
    assert client.get("/profile/calendar/").content.decode() != before


def test_my_tasks_across_campaigns_late_first_with_filters(api, cast, plan):
    other = CampaignFactory(actor=cast.lead, team=cast.team, code="618-2027")
    elsewhere = TaskFactory(campaign=other, actor=cast.lead, title="618 預熱", owner=cast.member,
                            start_date=dt.date(2027, 2, 1), due_date=dt.date(2027, 2, 11))  # fmt: skip
    data = api(cast.member).get("/api/v1/me/tasks/").json()
    assert [t["id"] for t in data["results"]] == [elsewhere.pk, plan["late"].pk, plan["later"].pk]
    due = api(cast.member).get("/api/v1/me/tasks/?due_before=2027-02-12").json()
    assert [t["id"] for t in due["results"]] == [elsewhere.pk, plan["late"].pk]
    assert api(cast.member).get("/api/v1/me/tasks/?status=done").json()["results"] == []
    bad = api(cast.member).get("/api/v1/me/tasks/?status=finished&due_before=soon")
    assert bad.status_code == 400 and set(bad.json()) >= {"status", "due_before"}
    assert api(cast.outsider).get("/api/v1/me/tasks/").json()["results"] == []
    assert timezone.now()  # the order does not depend on today: unfinished first, earliest due first
