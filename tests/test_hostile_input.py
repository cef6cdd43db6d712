"""Hostile input (SPEC 8 "Errors", "Security"): junk in query parameters never makes a page or the API
answer 500, and HTML/script typed into any text field is shown escaped on every page — never live.

Both crawl every GET page of the site (from the URL resolver, with the demo data's real ids filled in),
so a page added later is covered without a new line here. Upload abuse of the member import lives in
tests/members/test_hostile_uploads.py.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import URLPattern, URLResolver, get_resolver

from budgets.models import Budget, BudgetLine
from campaigns.models import Campaign, Channel, Kpi, Milestone, Phase, Task
from core.models import Notification
from members.models import ImportJob, Member
from reviews.models import ActionItem, Meeting, StatusUpdate
from risks.models import Risk
from teams.models import Team, User

pytestmark = [pytest.mark.slow, pytest.mark.django_db]  # slow: a site-wide sweep

# Pages that are not pages: POST-only actions answer 405 to a GET, which is fine, but these leave the site.
SKIPPED = {"logout", "set_language", "api-docs", "schema"}

JUNK = [
    "1 OR 1=1",
    "1; DROP TABLE campaigns_campaign; --",
    "' OR ''='",
    "-1",
    "0",
    "9999",
    "99999999999999999999999999",
    "1.5",
    "1e309",
    "<script>alert(1)</script>",
    "x" * 5000,
    "女神節\u202e\U0001f600",
    "\x00",
    "%00",
    "[]",
    "null",
]
# The page crawl sends each of these in every parameter at once (about 90 pages × 8 requests).
PAGE_JUNK = ["1 OR 1=1", "-1", "99999999999999999999999999", "1e309", "<script>alert(1)</script>", "x" * 5000,
             "女神節\u202e\U0001f600", "\x00"]  # fmt: skip
PARAMS = [
    "page", "page_size", "status", "campaign", "team", "q", "search", "tier", "band", "alert_level", "category",
    "owner", "read", "series", "budget", "against", "view", "by", "from", "to", "start", "end", "sort", "order",
    "kind", "active_on", "external_id", "phase", "date", "month", "next",
]  # fmt: skip


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(username="lead")


def page_urls() -> list[str]:
    """Every GET-able page of the site with the task force's real ids in its path."""
    team = Team.objects.get(code="womens-day-task-force")
    campaign = (
        Campaign.objects.filter(team=team, tasks__isnull=False, risks__isnull=False, budgets__isnull=False)
        .order_by("-start_date")
        .first()
    )
    meetings = Meeting.objects.filter(series__campaign__team=team)
    # One with status updates filed, one held (minutes, action items).
    meeting_ids = sorted(
        {
            meetings.filter(status_updates__isnull=False).first().pk,
            meetings.filter(action_items__isnull=False).first().pk,
        }
    )
    lead = User.objects.get(username="lead")
    task = campaign.tasks.first()
    by_namespace = {
        "campaigns": campaign.pk,
        "budgets": Budget.objects.filter(campaign=campaign).first().pk,
        "risks": Risk.objects.filter(campaign=campaign).first().pk,
        "members": ImportJob.objects.values_list("pk", flat=True).first(),
        "reviews": meeting_ids,
        "teams": team.pk,
        "": Notification.objects.filter(recipient=lead).values_list("pk", flat=True).first(),
    }
    other = {
        "phase_id": Phase.objects.filter(campaign=campaign).first().pk,
        "milestone_id": Milestone.objects.filter(campaign=campaign).first().pk,
        "task_pk": task.pk,
        "predecessor_pk": task.pk,
        "kpi_pk": Kpi.objects.filter(campaign=campaign).first().pk,
        "channel_pk": Channel.objects.filter(campaign=campaign).first().pk,
        "campaign_pk": campaign.pk,
        "user_id": lead.pk,
        "key": next(iter(meetings.filter(action_items__isnull=False).first().agenda), {}).get("key", "none"),
        "action_pk": ActionItem.objects.filter(meeting__in=meetings).values_list("pk", flat=True).first(),
        "day": "2027-02-10",  # the working calendar's entries (a POST-only route: GET answers 405)
        "channel_id": 1,  # a team chat channel (POST-only)
        "action": "test",
        "comment_pk": 1,
        "attachment_pk": 1,
        "member_pk": Member.objects.filter(source_campaign=campaign).values_list("pk", flat=True).first()
        or Member.objects.values_list("pk", flat=True).first(),  # the member page (SPEC 10.6)
        "token": "not-a-token",  # the calendar feed's secret  # a task's comment (POST-only pages; the API's detail takes PATCH and DELETE)
    }
    urls: list[str] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(("admin", "api")):
                    walk(pattern.url_patterns, prefix + route, pattern.namespace or namespace)
                continue
            assert isinstance(pattern, URLPattern)
            if pattern.name in SKIPPED:
                continue
            path = prefix + route
            names = re.findall(r"<(?:\w+:)?(\w+)>", path)
            if any(n == "pk" and by_namespace.get(namespace) is None for n in names):
                continue
            pks = by_namespace.get(namespace)
            for pk in pks if isinstance(pks, list) else [pks]:
                for fmt in ["csv", "xlsx"] if "fmt" in names else [None]:
                    values = {**other, "pk": pk, "fmt": fmt}
                    urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), path))

    walk(get_resolver().url_patterns, "", "")
    return list(dict.fromkeys(urls))


def text_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


CAMPAIGN_CHOSEN_BY_QUERY = {"/budgets/new/", "/risks/new/", "/reviews/series/new/"}

API_LISTS = [
    "/api/v1/campaigns/", "/api/v1/phases/", "/api/v1/milestones/", "/api/v1/tasks/", "/api/v1/kpis/",
    "/api/v1/channels/", "/api/v1/playbooks/", "/api/v1/budgets/", "/api/v1/budgets/awaiting-my-signoff/",
    "/api/v1/expenses/", "/api/v1/risks/", "/api/v1/risks/matrix/", "/api/v1/members/", "/api/v1/members/imports/",
    "/api/v1/tiers/", "/api/v1/review-series/", "/api/v1/meetings/", "/api/v1/notifications/", "/api/v1/teams/",
    "/api/v1/departments/",
]  # fmt: skip


def test_junk_in_the_query_string_of_every_page_changes_nothing_or_is_a_400(demo, client):
    client.force_login(demo)
    urls = page_urls()
    assert len(urls) > 60, urls
    problems = []
    for url in urls:
        plain = client.get(url).status_code
        for junk in PAGE_JUNK:
            response = client.get(url, dict.fromkeys(PARAMS, junk))
            # The page answers as it does without the junk (200, or 405 for a POST-only action), or 400;
            # where ``?campaign=`` names the page's campaign, a junk one is not found, like a junk path.
            allowed = {plain, 400} | ({404} if url in CAMPAIGN_CHOSEN_BY_QUERY else set())
            if response.status_code not in allowed:
                problems.append(f"{url} ?…={junk[:30]!r}: {response.status_code}, without the junk {plain}")
            elif "<script>alert(1)" in text_of(response):
                problems.append(f"{url} ?…={junk[:30]!r}: the script came back live")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["page", "page_size", "campaign", "status", "search", "band", "series"])
def test_junk_in_api_filters_is_200_or_a_400_naming_the_parameter(demo, api, name):
    client = api(demo)
    problems = []
    for url in API_LISTS:
        for junk in JUNK:
            response = client.get(url, {name: junk})
            body = response.json()
            if response.status_code == 200:
                ok = "cells" in body or set(body) == {"count", "next", "previous", "results"}
            elif response.status_code == 400:
                ok = name in body
            elif response.status_code == 404 and name == "page" and junk == "9999":
                ok = body == {"detail": "Invalid page."}  # a real page number past the last page
            else:
                ok = False
            if not ok:
                problems.append(f"{url}?{name}={junk[:30]!r}: {response.status_code} {str(body)[:120]}")
    assert not problems, "\n".join(problems)


def test_sql_in_a_filter_filters_nothing_in(demo, api):
    client = api(demo)
    injected = client.get("/api/v1/campaigns/", {"status": "draft' OR '1'='1"})
    assert injected.status_code == 400 and "status" in injected.json()
    assert client.get("/api/v1/members/", {"external_id": "x' OR '1'='1"}).json()["count"] == 0
    assert client.get("/api/v1/members/", {"search": "%' OR 1=1 --"}).json()["count"] == 0
    assert client.get("/api/v1/risks/", {"campaign": "1 OR 1=1"}).status_code == 400
    assert len(client.get("/api/v1/risks/", {"page_size": "9999"}).json()["results"]) <= 200


# --- Script in every text field ------------------------------------------------------------

SCRIPT = "<script>alert('xss')</script><img src=x onerror=alert(1)>\"'"
LIVE = ("<script>alert(", "<img src=x")
ESCAPED = ("&lt;script&gt;alert(", "\\u003Cscript\\u003Ealert(")


def plant_script_everywhere() -> dict[str, str]:
    """Put the payload in front of every text field people type, on every demo row; returns a marker per
    field so the test can tell each one is actually shown somewhere."""
    fields = {
        "campaign name": (Campaign, "name"),
        "campaign objective": (Campaign, "objective"),
        "phase name": (Phase, "name"),
        "milestone name": (Milestone, "name"),
        "task title": (Task, "title"),
        "KPI name": (Kpi, "name"),
        "channel name": (Channel, "name"),
        "risk title": (Risk, "title"),
        "risk contingency plan": (Risk, "contingency_plan"),
        "budget line note": (BudgetLine, "note"),
        "member name": (Member, "name"),
        "meeting minutes": (Meeting, "minutes"),
        "action item title": (ActionItem, "title"),
        "status update (done)": (StatusUpdate, "done"),
        "status update (blockers)": (StatusUpdate, "blockers"),
        "team name": (Team, "name"),
        "display name": (User, "display_name"),
    }
    markers = {}
    for number, (label, (model, field)) in enumerate(fields.items()):
        marker = f"m{number:02d}x"
        length = model._meta.get_field(field).max_length or 10_000
        text = SCRIPT + marker
        assert len(text) + 20 <= length, label
        rows = model.objects.all()
        assert rows.exists(), f"the demo has no {label}"
        # Unique per row, for the fields that must be unique within a campaign.
        rows.update(**{field: Concat(Value(text[: length - 20]), Cast("pk", output_field=CharField()))})
        markers[label] = marker
    Meeting.objects.filter(minutes="").update(minutes=SCRIPT)
    return markers


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_script_in_every_text_field_is_escaped_on_every_page(demo, client, who):
    markers = plant_script_everywhere()
    client.force_login(User.objects.get(username=who))
    shown, problems = set(), []
    for url in page_urls():
        response = client.get(url)
        assert response.status_code < 500, url
        if response.get("Content-Type", "").startswith(("text/csv", "application/vnd")):
            continue  # downloads: no browser renders them as HTML
        body = text_of(response)
        for live in LIVE:
            if live in body:
                at = body.index(live)
                problems.append(f"{url}: live {live!r} …{body[max(0, at - 120) : at + 60]!r}")
        for escaped in ESCAPED:
            for match in re.finditer(re.escape(escaped), body):
                tail = body[match.end() : match.end() + 200]
                shown.update(m for m in markers.values() if m in tail)
    assert not problems, "\n".join(problems[:30])
    # Each field was shown (escaped) somewhere: the lead sees members' names masked, the admin (no member
    # of the team) is not shown the team's status updates; between the two, every field.
    missing = [label for label, marker in markers.items() if marker not in shown]
    unseen = {"lead": ["member name"], "admin": ["status update (done)", "status update (blockers)"]}
    assert missing == unseen[who]


def test_chart_data_carries_the_script_as_inert_json(demo, client):
    """Charts read their data from json_script blocks: the payload is in the data, decoded intact, and no
    block holds a raw "<" that could end the script element early."""
    markers = plant_script_everywhere()
    client.force_login(User.objects.get(username="admin"))
    campaign = Task.objects.first().campaign
    pages = [
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/timeline/",
        f"/campaigns/{campaign.pk}/kpis/",
        f"/risks/exposure/{campaign.pk}/",
        "/members/analytics/",
    ]
    decoded = []
    for url in pages:
        body = text_of(client.get(url))
        blocks = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', body, flags=re.S)
        assert blocks or "exposure" in url, f"{url} has no json_script block"  # exposure: only with costs
        for block in blocks:
            assert "<" not in block, url
            decoded.append(json.dumps(json.loads(block), ensure_ascii=False))
    data = "\n".join(decoded)
    assert "<script>alert('xss')</script><img src=x onerror=alert(1)>" in data
    for label in ("task title", "KPI name"):
        assert markers[label] in data, label
