"""Search (SPEC 10.3, issue 16): one box over campaigns, tasks, milestones, risks, meetings and comments — only
what the requester can read; Chinese substrings found; bad queries answered with a field message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from campaigns.discussion import comment_add
from campaigns.services import milestone_save
from reviews.schedule import series_generate_meetings
from tests.factories import CampaignFactory, PhaseFactory, ReviewSeriesFactory, RiskFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    campaign = CampaignFactory(actor=cast.lead, team=cast.team, code="WD-2027", name="2027 女神節 · 她的專屬權益")
    phase = PhaseFactory(campaign=campaign, actor=cast.lead, name="預熱期")
    task = TaskFactory(campaign=campaign, actor=cast.lead, title="客服話術培訓 Agent training", owner=cast.member)
    milestone = milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name="女神節上線 Launch",
                               due_date=dt.date(2027, 2, 20))  # fmt: skip
    risk = RiskFactory(campaign=campaign, actor=cast.lead, title="客服話務高峰 Call-centre overload")
    series = ReviewSeriesFactory(campaign=campaign, actor=cast.lead, title="女神節週會 Weekly standup")
    series_generate_meetings(series, today=dt.date(2027, 2, 10), weeks=3)
    comment = comment_add(task=task, author=cast.member, body="話術初稿已完成，等 review")
    other = CampaignFactory(actor=cast.outsider, team=cast.outsider.memberships.get().team, code="618-2027",
                            name="618 女神 outsider campaign")  # fmt: skip
    hidden = TaskFactory(campaign=other, actor=cast.outsider, title="客服 outsider task")
    return locals()


def found(api, user, q):
    response = api(user).get("/api/v1/search/", {"q": q})
    assert response.status_code == 200, response.content
    return {(r["type"], r["id"]) for r in response.json()["results"]}, response.json()["results"]


def test_two_chinese_characters_find_the_campaign_its_task_milestone_risk_meeting_and_comment(api, cast, world):
    hits, results = found(api, cast.lead, "女神")
    assert ("campaign", world["campaign"].pk) in hits and ("milestone", world["milestone"].pk) in hits
    assert ("campaign", world["other"].pk) not in hits  # another team's campaign: not even named
    meetings = [r for r in results if r["type"] == "meeting"]
    assert len(meetings) == 1 and meetings[0]["campaign"] == "WD-2027"  # one per series, however many meetings
    hits, results = found(api, cast.lead, "客服")
    assert ("task", world["task"].pk) in hits and ("risk", world["risk"].pk) in hits
    assert ("task", world["hidden"].pk) not in hits
    hits, results = found(api, cast.lead, "初稿")
    assert hits == {("comment", world["comment"].pk)}
    assert results[0]["url"].endswith(f"#comment-{world['comment'].pk}") and results[0]["campaign"] == "WD-2027"
    assert set(results[0]) == {"type", "id", "title", "url", "campaign"}


def test_the_outsider_and_an_approver_find_none_of_the_task_force(api, cast, world):
    hits, _results = found(api, cast.outsider, "客服")
    assert hits == {("task", world["hidden"].pk)}
    hits, _results = found(api, cast.finance, "女神")
    assert hits == set()
    hits, _results = found(api, cast.viewer, "話術")  # a viewer reads it all
    assert ("task", world["task"].pk) in hits and ("comment", world["comment"].pk) in hits


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}])
def test_a_missing_blank_or_overlong_query_is_a_field_error(api, cast, world, params):
    response = api(cast.lead).get("/api/v1/search/", params)
    assert response.status_code == 400 and "q" in response.json()


def test_one_character_and_odd_characters_are_fine(api, cast, world):
    hits, _results = found(api, cast.lead, "女")
    assert ("campaign", world["campaign"].pk) in hits
    for odd in ("%", "_", "\\", "'; DROP TABLE x; --", "<script>"):
        found(api, cast.lead, odd)  # no error, no wildcard surprises
    # NUL, which PostgreSQL refuses in a string: the API names the field, the page drops it.
    assert api(cast.lead).get("/api/v1/search/", {"q": "女\x00神"}).status_code == 400
    client = api(cast.lead)
    client.force_login(cast.lead)
    assert client.get("/search/", {"q": "女\x00神"}).status_code == 200


def test_short_queries_without_case_are_matched_as_typed_and_letters_still_ignore_case(api, cast, world):
    # One or two characters with no case (Chinese, digits) are matched as typed, without upper-casing every row;
    # letters still match whatever their case, and LIKE's wildcards stay literal on both paths.
    for q in ("ag", "AG", "aG"):
        hits, _results = found(api, cast.lead, q)
        assert ("task", world["task"].pk) in hits, q
    hits, _results = found(api, cast.lead, "20")
    assert ("campaign", world["campaign"].pk) in hits
    hits, _results = found(api, cast.lead, "培訓")
    assert ("task", world["task"].pk) in hits
    for wildcard in ("%", "_", "%%", "_%"):
        assert found(api, cast.lead, wildcard)[0] == set(), wildcard


def test_the_page_groups_results_by_kind_and_says_what_to_try_when_nothing_matches(client, cast, world):
    client.force_login(cast.lead)
    page = client.get("/search/", {"q": "女神"}).content.decode()
    assert 'id="search-campaign"' in page and 'id="search-milestone"' in page and 'id="search-meeting"' in page
    assert "618 女神 outsider campaign" not in page and 'role="search"' in page
    empty = client.get("/search/", {"q": "不存在的東西"}).content.decode()
    assert "Nothing you can read matches" in empty
    assert client.get("/search/", {"q": "x" * 101}).status_code == 400


def test_the_query_count_is_fixed(client, cast, world, django_assert_max_num_queries):
    client.force_login(cast.lead)
    with django_assert_max_num_queries(12):  # session, user, principal (2), six kinds, the page's own
        client.get("/search/", {"q": "女神"})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_postgresql_has_the_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert names >= {"campaigns_task_title_trgm", "campaigns_campaign_name_trgm", "campaigns_milestone_name_trgm",
                     "campaigns_taskcomment_body_trgm", "risks_risk_title_trgm", "reviews_reviewseries_title_trgm"}  # fmt: skip
