"""The campaign work pages (tasks, board, timeline, KPIs, channels): who may see and change what, inline edits
and their errors, the dependency editor, the Gantt data, the KPI deviation flag, and query counts."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import time_machine

from campaigns.models import Channel, Kpi, KpiReading, Phase, Task, TaskDependency, TaskStatus
from campaigns.services import campaign_create
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

# "Today" in Asia/Shanghai is 15 February 2027 throughout.
NOW = dt.datetime(2027, 2, 15, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 2, 15)
HTMX = {"HTTP_HX_REQUEST": "true"}


def day(n: int) -> dt.date:
    """Day n of the campaign, day 1 being 1 February 2027."""
    return dt.date(2027, 2, 1) + dt.timedelta(days=n - 1)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def campaign(cast):
    return CampaignFactory(
        actor=cast.lead, team=cast.team, code="WD-TEST", name="Women's Day", start_date=day(1), end_date=day(40)
    )


@pytest.fixture
def plan(campaign, cast):
    """A diamond: A(1–3) → B(4–8) → D(9–10) and A → C(4–5) → D. Critical: A, B, D; C has 3 days of float.
    A is done; B is late (due day 8, today is day 15); D is owned by the member."""
    phase = Phase.objects.create(
        campaign=campaign, name="準備期 Preparation", order=1, start_date=day(1), end_date=day(20)
    )
    a = Task.objects.create(
        campaign=campaign,
        phase=phase,
        title="Research",
        start_date=day(1),
        due_date=day(3),
        status="done",
        progress=100,
    )
    b = Task.objects.create(campaign=campaign, phase=phase, title="Design", start_date=day(4), due_date=day(8))
    c = Task.objects.create(campaign=campaign, phase=phase, title="Training", start_date=day(4), due_date=day(5))
    d = Task.objects.create(
        campaign=campaign, phase=phase, title="Launch", start_date=day(9), due_date=day(10), owner=cast.member
    )
    TaskDependency.objects.bulk_create(
        TaskDependency(predecessor=p, successor=s) for p, s in [(a, b), (a, c), (b, d), (c, d)]
    )
    return {"phase": phase, "a": a, "b": b, "c": c, "d": d}


@pytest.fixture
def kpi(campaign):
    return Kpi.objects.create(
        campaign=campaign, name="Member conversion", kind="member_conversion", unit="%", target=25
    )


@pytest.fixture
def channel(campaign):
    return Channel.objects.create(campaign=campaign, type="sms", name="SMS blast", reach_target=1_000_000)


def base(campaign) -> str:
    return f"/campaigns/{campaign.pk}"


# --- Reading the pages: everyone with a standing reads, outsiders get 404 ---------------------------

READ_PAGES = ["/tasks/", "/tasks/?view=board", "/timeline/", "/kpis/", "/channels/"]


@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize("who", ["lead", "member", "viewer", "executive"])
def test_work_pages_are_readable_by_the_team_and_executives(browser_client, cast, campaign, plan, kpi, page, who):
    response = browser_client(getattr(cast, who)).get(base(campaign) + page)
    assert response.status_code == 200
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("page", [*READ_PAGES, "/tasks/{task}/"])
def test_work_pages_are_not_found_for_outsiders(browser_client, cast, campaign, plan, page):
    url = base(campaign) + page.format(task=plan["a"].pk)
    assert browser_client(cast.outsider).get(url).status_code == 404


def test_task_page_is_readable_by_viewer_and_not_found_in_another_campaign(browser_client, cast, campaign, plan):
    client = browser_client(cast.viewer)
    assert client.get(f"{base(campaign)}/tasks/{plan['b'].pk}/").status_code == 200
    other = campaign_create(
        actor=cast.lead, team=cast.team, code="OTHER", name="Other", start_date=day(1), end_date=day(5)
    )
    assert client.get(f"{base(other)}/tasks/{plan['b'].pk}/").status_code == 404


def test_unknown_campaign_is_not_found(browser_client, cast):
    assert browser_client(cast.lead).get("/campaigns/999999/tasks/").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, campaign):
    response = client.get(base(campaign) + "/tasks/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Writing: owners may, viewers and executives 403, outsiders 404 --------------------------------


def _writes(campaign, plan, kpi, channel, cast):
    """(url, data, check) for every POST endpoint; check(db) is True once the write happened."""
    b, c, d = plan["b"], plan["c"], plan["d"]
    root = base(campaign)
    return {
        "task_create": (
            f"{root}/tasks/add/",
            {"title": "Press kit", "phase": "", "owner": "", "start_date": "2027-02-20", "due_date": "2027-02-22"},
            lambda: Task.objects.filter(title="Press kit").exists(),
        ),
        "task_update": (
            f"{root}/tasks/{b.pk}/update/",
            {"status": "in_progress"},
            lambda: Task.objects.get(pk=b.pk).status == "in_progress",
        ),
        "task_delete": (f"{root}/tasks/{c.pk}/delete/", {}, lambda: not Task.objects.filter(pk=c.pk).exists()),
        "dependency_add": (
            f"{root}/tasks/{d.pk}/dependencies/add/",
            {"predecessor": plan["a"].pk},
            lambda: TaskDependency.objects.filter(predecessor=plan["a"], successor=d).exists(),
        ),
        "dependency_remove": (
            f"{root}/tasks/{d.pk}/dependencies/{b.pk}/remove/",
            {},
            lambda: not TaskDependency.objects.filter(predecessor=b, successor=d).exists(),
        ),
        "kpi_create": (
            f"{root}/kpis/add/",
            {"name": "NPS", "kind": "nps", "unit": "", "direction": "higher", "baseline": "", "target": "60"},
            lambda: Kpi.objects.filter(campaign=campaign, name="NPS").exists(),
        ),
        "kpi_reading": (
            f"{root}/kpis/{kpi.pk}/readings/",
            {"date": "2027-02-14", "actual": "20", "forecast": "22"},
            lambda: KpiReading.objects.filter(kpi=kpi).exists(),
        ),
        "channel_create": (
            f"{root}/channels/add/",
            {"type": "partner", "name": "Bank partner", "reach_target": "5000", "conversion_target": "30", "note": ""},
            lambda: Channel.objects.filter(campaign=campaign, name="Bank partner").exists(),
        ),
        "channel_delete": (
            f"{root}/channels/{channel.pk}/delete/",
            {},
            lambda: not Channel.objects.filter(pk=channel.pk).exists(),
        ),
    }


WRITES = [
    "task_create",
    "task_update",
    "task_delete",
    "dependency_add",
    "dependency_remove",
    "kpi_create",
    "kpi_reading",
    "channel_create",
    "channel_delete",
]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("who,status", [("outsider", 404), ("viewer", 403), ("executive", 403)])
def test_writes_are_refused_to_readers_and_hidden_from_outsiders(
    browser_client, cast, campaign, plan, kpi, channel, write, who, status
):
    url, data, happened = _writes(campaign, plan, kpi, channel, cast)[write]
    assert browser_client(getattr(cast, who)).post(url, data).status_code == status
    assert not happened()


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("who", ["lead", "member"])
def test_writes_by_the_team_are_saved_and_redirect(browser_client, cast, campaign, plan, kpi, channel, write, who):
    url, data, happened = _writes(campaign, plan, kpi, channel, cast)[write]
    response = browser_client(getattr(cast, who)).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert happened()


@pytest.mark.parametrize("write", WRITES)
def test_writes_need_post(browser_client, cast, campaign, plan, kpi, channel, write):
    url, _data, _happened = _writes(campaign, plan, kpi, channel, cast)[write]
    assert browser_client(cast.lead).get(url).status_code == 405


def test_read_only_users_see_no_edit_controls(browser_client, cast, campaign, plan, kpi, channel):
    client = browser_client(cast.viewer)
    for page in READ_PAGES + [f"/tasks/{plan['b'].pk}/"]:
        html = client.get(base(campaign) + page).content.decode()
        # Watching a task is for every reader (SPEC 10.3): its form is the one write a viewer is offered.
        html = re.sub(r'<form method="post" action="/campaigns/\d+/tasks/\d+/watch/".*?</form>', "", html, flags=re.S)
        assert "hx-post" not in html, page
        assert 'method="post" action="/campaigns/' not in html, page
    tasks_html = client.get(base(campaign) + "/tasks/").content.decode()
    assert "Add a task" not in tasks_html
    assert "Design" in tasks_html


def test_writers_see_the_edit_controls(browser_client, cast, campaign, plan):
    html = browser_client(cast.member).get(base(campaign) + "/tasks/").content.decode()
    assert "Add a task" in html
    assert f'hx-post="/campaigns/{campaign.pk}/tasks/{plan["b"].pk}/update/"' in html


# --- htmx fragments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page,marker",
    [
        ("/tasks/", 'id="task-results"'),
        ("/tasks/?view=board", 'id="task-board"'),
        ("/kpis/", 'id="kpi-list"'),
        ("/channels/", 'id="channel-list"'),
        ("/tasks/{task}/", 'class="dependency-editor"'),
    ],
)
def test_htmx_requests_get_only_the_fragment(browser_client, cast, campaign, plan, kpi, channel, page, marker):
    response = browser_client(cast.viewer).get(base(campaign) + page.format(task=plan["d"].pk), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert marker in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


# --- Task list: rows, filters, late flag, pagination -----------------------------------------------


def test_task_list_shows_phase_owner_dates_dependencies_and_a_late_flag_in_words(browser_client, cast, campaign, plan):
    html = browser_client(cast.viewer).get(base(campaign) + "/tasks/").content.decode()
    row_b = re.search(rf'<tr id="task-{plan["b"].pk}".*?</tr>', html, re.S).group(0)
    assert "task-late" in row_b and ">Late<" in row_b
    assert "準備期 Preparation" in row_b
    assert "↳ Research" in row_b
    row_a = re.search(rf'<tr id="task-{plan["a"].pk}".*?</tr>', html, re.S).group(0)
    assert ">Late<" not in row_a  # done tasks are never late
    row_d = re.search(rf'<tr id="task-{plan["d"].pk}".*?</tr>', html, re.S).group(0)
    assert "T-Member" in row_d


def test_task_list_filters_by_status_owner_late_and_phase(browser_client, cast, campaign, plan):
    client = browser_client(cast.member)

    def titles(query: str) -> set[str]:
        html = client.get(base(campaign) + "/tasks/?" + query, **HTMX).content.decode()
        return set(re.findall(r'/tasks/\d+/">([^<]+)</a>', html))

    assert titles("view=list") == {"Research", "Design", "Training", "Launch"}
    assert titles("status=done") == {"Research"}
    assert titles("mine=1") == {"Launch"}
    assert titles("late=1") == {"Design", "Training", "Launch"}
    assert titles(f"phase={plan['phase'].pk}&late=1&mine=1") == {"Launch"}
    assert titles("phase=none") == set()
    assert titles("status=bogus&phase=nonsense") == {"Research", "Design", "Training", "Launch"}


def test_task_list_shows_a_hundred_tasks_a_page(browser_client, cast, campaign):
    Task.objects.bulk_create(
        Task(campaign=campaign, title=f"Task {i:03}", start_date=day(20), due_date=day(21)) for i in range(130)
    )
    client = browser_client(cast.lead)
    first = client.get(base(campaign) + "/tasks/").content.decode()
    second = client.get(base(campaign) + "/tasks/?page=2&view=list").content.decode()
    assert first.count('<tr id="task-') == 100
    assert second.count('<tr id="task-') == 30
    assert "Page 1 of 2" in first


def test_empty_task_list_explains_how_to_start(browser_client, cast, campaign):
    html = browser_client(cast.lead).get(base(campaign) + "/tasks/").content.decode()
    assert "This campaign has no tasks yet." in html


# --- Inline edits ----------------------------------------------------------------------------------


def _row_post(client, campaign, task, **changes):
    data = {
        "owner": task.owner_id or "",
        "start_date": task.start_date.isoformat(),
        "due_date": task.due_date.isoformat(),
        "status": task.status,
        "progress": task.progress,
        "next": f"/campaigns/{campaign.pk}/tasks/",
    }
    data.update(changes)
    return client.post(f"{base(campaign)}/tasks/{task.pk}/update/", data, **HTMX)


def test_inline_edit_saves_the_row_and_answers_with_that_row_only(browser_client, cast, campaign, plan):
    b = plan["b"]
    response = _row_post(
        browser_client(cast.member), campaign, b, status="in_progress", progress="40", owner=cast.deputy.pk
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="task-{b.pk}"')
    assert "<html" not in html and "<table" not in html
    b.refresh_from_db()
    assert (b.status, b.progress, b.owner) == ("in_progress", 40, cast.deputy)


def test_inline_progress_over_100_is_refused_next_to_the_field(browser_client, cast, campaign, plan):
    b = plan["b"]
    response = _row_post(browser_client(cast.member), campaign, b, progress="101", status="in_progress")
    html = response.content.decode()
    assert response.status_code == 400
    assert "<html" not in html
    assert f'id="task-{b.pk}-progress-error"' in html
    assert "less than or equal to 100" in html
    assert 'value="101"' in html  # what was typed stays, to be corrected
    b.refresh_from_db()
    assert (b.progress, b.status) == (0, "todo")  # nothing half-saved


def test_inline_due_date_before_start_is_refused_next_to_the_field(browser_client, cast, campaign, plan):
    b = plan["b"]
    response = _row_post(browser_client(cast.member), campaign, b, due_date="2027-02-02", status="blocked")
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="task-{b.pk}-due_date-error"' in html
    assert "The end date must not be before the start date." in html
    b.refresh_from_db()
    assert (b.due_date, b.status) == (day(8), "todo")


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_inline_owner_outside_the_campaign_team_is_refused(browser_client, cast, campaign, plan, who):
    b = plan["b"]
    response = _row_post(browser_client(cast.lead), campaign, b, owner=getattr(cast, who).pk)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="task-{b.pk}-owner-error"' in html
    assert "The owner must be a lead, deputy or member of the campaign" in html
    b.refresh_from_db()
    assert b.owner is None


def test_owner_choices_are_the_teams_leads_deputies_and_members(browser_client, cast, campaign, plan):
    html = browser_client(cast.lead).get(base(campaign) + "/tasks/").content.decode()
    select = re.search(rf'<select name="owner"[^>]*id="task-{plan["b"].pk}-owner".*?</select>', html, re.S).group(0)
    assert {"T-Lead", "T-Deputy", "T-Member"} <= set(re.findall(r">([^<]+)</option>", select))
    assert "T-Viewer" not in select and "T-Outsider" not in select


def test_marking_a_task_done_sets_its_progress_to_100(browser_client, cast, campaign, plan):
    c = plan["c"]
    response = _row_post(browser_client(cast.member), campaign, c, status="done")
    assert response.status_code == 200
    c.refresh_from_db()
    assert (c.status, c.progress) == ("done", 100)
    assert ">Late<" not in response.content.decode()


def test_a_partial_post_changes_only_what_was_sent(browser_client, cast, campaign, plan):
    d = plan["d"]
    client = browser_client(cast.member)
    response = client.post(f"{base(campaign)}/tasks/{d.pk}/update/?view=board", {"status": "blocked"}, **HTMX)
    assert response.status_code == 200
    d.refresh_from_db()
    assert (d.status, d.owner, d.due_date, d.progress) == ("blocked", cast.member, day(10), 0)


def test_board_status_change_redraws_the_board_with_the_card_in_its_new_column(browser_client, cast, campaign, plan):
    d = plan["d"]
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{d.pk}/update/?view=board&mine=1", {"status": "done"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="task-board"')
    done_column = html[html.index('id="board-done-title"') :]
    assert f'id="task-card-{d.pk}"' in done_column
    assert "Design" not in html  # the board keeps its "only mine" filter


def test_board_status_error_is_shown_on_the_card_itself(browser_client, cast, campaign, plan):
    d = plan["d"]
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{d.pk}/update/?view=board", {"status": "finished"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert response["HX-Retarget"] == f"#task-card-{d.pk}"
    assert html.strip().startswith(f'<article class="card task-card task-late" id="task-card-{d.pk}"')
    assert "Select a valid choice." in html
    d.refresh_from_db()
    assert d.status == "todo"


def test_board_shows_four_columns_with_cards_and_late_marks(browser_client, cast, campaign, plan):
    html = browser_client(cast.viewer).get(base(campaign) + "/tasks/?view=board").content.decode()
    for label in ("To do", "In progress", "Blocked", "Done"):
        assert f"<span>{label}</span>" in html
    card_b = re.search(rf'<article class="card task-card[^"]*" id="task-card-{plan["b"].pk}".*?</article>', html, re.S)
    assert "task-late" in card_b.group(0) and ">Late<" in card_b.group(0)


def test_board_caps_long_columns_and_links_to_the_rest(browser_client, cast, campaign):
    Task.objects.bulk_create(
        Task(campaign=campaign, title=f"T{i}", start_date=day(20), due_date=day(21)) for i in range(60)
    )
    html = browser_client(cast.lead).get(base(campaign) + "/tasks/?view=board").content.decode()
    assert html.count('class="card task-card') == 50
    assert "and 10 more tasks in the list" in html


def test_update_without_javascript_redirects_and_errors_render_the_task_page(browser_client, cast, campaign, plan):
    b = plan["b"]
    client = browser_client(cast.member)
    url = f"{base(campaign)}/tasks/{b.pk}/update/"
    ok = client.post(url, {"title": "Design the benefits", "progress": "30", "next": f"{base(campaign)}/tasks/"})
    assert ok.status_code == 302 and ok["Location"] == f"{base(campaign)}/tasks/"
    bad = client.post(url, {"progress": "150"})
    assert bad.status_code == 400
    assert "<html" in bad.content.decode() and "less than or equal to 100" in bad.content.decode()
    b.refresh_from_db()
    assert (b.title, b.progress) == ("Design the benefits", 30)


def test_redirect_after_a_write_stays_on_this_site(browser_client, cast, campaign, plan):
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{plan['b'].pk}/update/", {"progress": "5", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"{base(campaign)}/tasks/"


def test_task_create_errors_show_next_to_the_fields(browser_client, cast, campaign, plan):
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/add/",
        {"title": "", "start_date": "2027-02-20", "due_date": "2027-02-10", "owner": cast.outsider.pk},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_title-error"' in html
    assert 'id="id_owner-error"' in html
    assert Task.objects.filter(campaign=campaign).count() == 4


def test_task_create_refuses_due_before_start(browser_client, cast, campaign):
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/add/", {"title": "Backwards", "start_date": "2027-02-20", "due_date": "2027-02-10"}
    )
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.content.decode()
    assert not Task.objects.filter(title="Backwards").exists()


def test_a_task_of_another_campaign_cannot_be_changed_through_this_one(browser_client, cast, campaign, plan):
    theirs = campaign_create(
        actor=cast.outsider,
        team=cast.outsider.memberships.get().team,
        code="THEIRS",
        name="Theirs",
        start_date=day(1),
        end_date=day(5),
    )
    their_task = Task.objects.create(campaign=theirs, title="Theirs", start_date=day(1), due_date=day(2))
    response = browser_client(cast.lead).post(f"{base(campaign)}/tasks/{their_task.pk}/update/", {"progress": "50"})
    assert response.status_code == 404
    their_task.refresh_from_db()
    assert their_task.progress == 0


# --- Dependencies ------------------------------------------------------------------------------------


def test_adding_a_dependency_that_closes_a_cycle_is_refused_naming_the_cycle(browser_client, cast, campaign, plan):
    a, d = plan["a"], plan["d"]
    before = set(TaskDependency.objects.values_list("predecessor_id", "successor_id"))
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{a.pk}/dependencies/add/", {"predecessor": d.pk}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "<html" not in html
    assert "These dependencies would form a cycle" in html
    assert "“Launch”" in html and "“Research”" in html
    assert f'id="deps-{a.pk}-predecessor-error"' in html
    assert set(TaskDependency.objects.values_list("predecessor_id", "successor_id")) == before


def test_cycle_refused_without_javascript_renders_the_task_page(browser_client, cast, campaign, plan):
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{plan['a'].pk}/dependencies/add/", {"predecessor": plan["b"].pk}
    )
    assert response.status_code == 400
    assert "These dependencies would form a cycle" in response.content.decode()
    assert not TaskDependency.objects.filter(predecessor=plan["b"], successor=plan["a"]).exists()


def test_adding_and_removing_a_dependency_with_htmx_redraws_the_editor(browser_client, cast, campaign, plan):
    c, d = plan["c"], plan["d"]
    client = browser_client(cast.member)
    added = client.post(f"{base(campaign)}/tasks/{d.pk}/dependencies/add/", {"predecessor": plan["a"].pk}, **HTMX)
    assert added.status_code == 200
    assert added.content.decode().strip().startswith(f'<div class="dependency-editor" id="deps-{d.pk}"')
    assert set(d.depends_on.values_list("title", flat=True)) == {"Design", "Training", "Research"}
    removed = client.post(f"{base(campaign)}/tasks/{d.pk}/dependencies/{c.pk}/remove/", **HTMX)
    assert removed.status_code == 200
    assert "Training" not in re.search(r"<ul.*?</ul>", removed.content.decode(), re.S).group(0)
    assert set(d.depends_on.values_list("title", flat=True)) == {"Design", "Research"}


def test_a_task_of_another_campaign_cannot_become_a_predecessor(browser_client, cast, campaign, plan):
    other = campaign_create(
        actor=cast.lead, team=cast.team, code="OTHER", name="Other", start_date=day(1), end_date=day(5)
    )
    foreign = Task.objects.create(campaign=other, title="Foreign", start_date=day(1), due_date=day(2))
    response = browser_client(cast.member).post(
        f"{base(campaign)}/tasks/{plan['d'].pk}/dependencies/add/", {"predecessor": foreign.pk}, **HTMX
    )
    assert response.status_code == 400
    assert not TaskDependency.objects.filter(predecessor=foreign).exists()


def test_dependency_editor_offers_only_other_tasks_not_yet_waited_for(browser_client, cast, campaign, plan):
    html = browser_client(cast.member).get(f"{base(campaign)}/tasks/{plan['d'].pk}/", **HTMX).content.decode()
    options = set(re.findall(r'<option value="\d+">([^<]+)</option>', html))
    assert options == {"Research"}


# --- Gantt timeline ----------------------------------------------------------------------------------


def _gantt_data(html: str) -> list[dict]:
    match = re.search(r'<script id="gantt-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_gantt_data_marks_exactly_the_critical_tasks(browser_client, cast, campaign, plan):
    html = browser_client(cast.viewer).get(base(campaign) + "/timeline/").content.decode()
    data = {row["id"]: row for row in _gantt_data(html)}
    a, b, c, d = (f"t{plan[k].pk}" for k in "abcd")
    assert {k for k, row in data.items() if row["custom_class"] == "critical"} == {a, b, d}
    assert list(data)[0] == f"p{plan['phase'].pk}"  # the phase's row leads its tasks
    assert data[c]["custom_class"] == ""
    assert data[b] == {
        "id": b,
        "kind": "task",
        "name": "Design",
        "start": "2027-02-04",
        "end": "2027-02-08",
        "planned_start": "2027-02-04",
        "planned_end": "2027-02-08",
        "progress": 0,
        "dependencies": a,
        "custom_class": "critical",
        "critical_dependencies": [a],
        "phase": f"p{plan['phase'].pk}",
        "late": True,
    }
    assert set(data[d]["dependencies"].split(", ")) == {b, c}
    assert data[d]["critical_dependencies"] == [b]  # C → D has float: not a critical link
    assert data[a]["progress"] == 100
    assert "<script>" not in html.split("gantt-data")[0].split("</head>")[1]  # no inline script code


def test_gantt_page_has_the_schedule_table_and_the_ends(browser_client, cast, campaign, plan):
    html = browser_client(cast.viewer).get(base(campaign) + "/timeline/").content.decode()
    rows = dict(re.findall(r'<tr class="[^"]*" data-task="(t\d+)">.*?<td class="text-end">(-?\d+)</td>', html, re.S))
    assert rows == {f"t{plan['a'].pk}": "0", f"t{plan['b'].pk}": "0", f"t{plan['c'].pk}": "3", f"t{plan['d'].pk}": "0"}
    assert html.count('<strong class="text-danger">Yes</strong>') == 3
    assert "Planned end" in html and "Projected end" in html
    # Design is late and not started, so Launch slips past the tasks' planned finish (day 10), but not past the
    # campaign's end (15 March): the timeline says "on time", as the overview and the portfolio do (SPEC 10.2).
    assert 'class="col-sm-9 schedule-status" data-slip="0"' in html and "On time" in html
    assert "Critical path" in html  # the legend
    assert "frappe-gantt.umd.js" in html and "campaigns/gantt.js" in html


def test_gantt_shows_an_empty_state_without_tasks(browser_client, cast, campaign):
    html = browser_client(cast.lead).get(base(campaign) + "/timeline/").content.decode()
    assert "No tasks to put on the timeline yet." in html
    assert "gantt-data" not in html


def test_gantt_escapes_task_names_in_its_json(browser_client, cast, campaign):
    Task.objects.create(campaign=campaign, title="</script><b>x</b>", start_date=day(1), due_date=day(2))
    html = browser_client(cast.lead).get(base(campaign) + "/timeline/").content.decode()
    assert "</script><b>" not in html
    assert _gantt_data(html)[1]["name"] == "</script><b>x</b>"  # after the "No phase" row


# --- KPIs ----------------------------------------------------------------------------------------------


def _record(client, campaign, kpi, **data):
    return client.post(f"{base(campaign)}/kpis/{kpi.pk}/readings/", data, **HTMX)


def test_kpi_deviating_more_than_15_percent_is_flagged(browser_client, cast, campaign, kpi):
    response = _record(browser_client(cast.member), campaign, kpi, date="2027-02-14", actual="116", forecast="100")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<article class="card shadow-sm h-100 kpi-card kpi-off" id="kpi-{kpi.pk}"')
    assert "<html" not in html
    assert "Off forecast (> 15 %)" in html
    assert "16.0 %" in html
    # The page's count of flagged KPIs is swapped out of band.
    assert '<p class="small text-secondary" id="kpi-summary" hx-swap-oob="true">' in html
    assert "1 off forecast by more than 15 %" in html


def test_kpi_deviating_exactly_15_percent_is_not_flagged(browser_client, cast, campaign, kpi):
    client = browser_client(cast.member)
    html = _record(client, campaign, kpi, date="2027-02-14", actual="115", forecast="100").content.decode()
    assert "Off forecast" not in html
    assert "Within 15 % of forecast" in html
    assert "15.0 %" in html
    page = client.get(base(campaign) + "/kpis/").content.decode()
    assert "Off forecast (> 15 %)" not in page


def test_kpi_page_shows_targets_latest_actual_and_chart_data(browser_client, cast, campaign, kpi):
    KpiReading.objects.create(kpi=kpi, date=day(10), forecast=Decimal("20"))
    KpiReading.objects.create(kpi=kpi, date=day(12), actual=Decimal("12"))
    html = browser_client(cast.viewer).get(base(campaign) + "/kpis/").content.decode()
    assert "Member conversion" in html
    assert "Off forecast (> 15 %)" in html  # 12 against the earlier forecast of 20 is 40 % off
    chart = json.loads(
        re.search(rf'<script id="kpi-chart-data-{kpi.pk}" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert chart["labels"] == ["2027-02-10", "2027-02-12"]
    series = {s["key"]: s["data"] for s in chart["series"]}
    assert series == {"actual": [None, 12.0], "forecast": [20.0, None], "target": [25.0, 25.0]}
    assert "chart.umd.min.js" in html and "campaigns/kpis.js" in html


def test_a_second_reading_for_the_same_date_updates_it(browser_client, cast, campaign, kpi):
    client = browser_client(cast.member)
    _record(client, campaign, kpi, date="2027-02-14", actual="10", forecast="")
    _record(client, campaign, kpi, date="2027-02-14", actual="", forecast="11")
    reading = KpiReading.objects.get(kpi=kpi)
    assert (reading.actual, reading.forecast) == (Decimal("10"), Decimal("11"))


def test_a_reading_without_any_value_is_refused_in_the_card(browser_client, cast, campaign, kpi):
    response = _record(browser_client(cast.member), campaign, kpi, date="2027-02-14", actual="", forecast="")
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="kpi-{kpi.pk}-actual-error"' in html
    assert "Give an actual value, a forecast, or both." in html
    assert not KpiReading.objects.exists()


def test_a_reading_for_a_kpi_of_another_campaign_is_not_found(browser_client, cast, campaign, kpi):
    other = campaign_create(
        actor=cast.lead, team=cast.team, code="OTHER", name="Other", start_date=day(1), end_date=day(5)
    )
    response = browser_client(cast.member).post(
        f"{base(other)}/kpis/{kpi.pk}/readings/", {"date": "2027-02-14", "actual": "1"}
    )
    assert response.status_code == 404


def test_kpi_names_are_unique_per_campaign(browser_client, cast, campaign, kpi):
    response = browser_client(cast.member).post(
        f"{base(campaign)}/kpis/add/",
        {"name": "member conversion", "kind": "other", "unit": "", "direction": "higher", "target": "1"},
    )
    assert response.status_code == 400
    assert "This campaign has a KPI with this name already." in response.content.decode()
    assert Kpi.objects.filter(campaign=campaign).count() == 1


def test_kpi_page_without_kpis_explains_how_to_add_one(browser_client, cast, campaign):
    html = browser_client(cast.lead).get(base(campaign) + "/kpis/").content.decode()
    assert "This campaign has no KPIs yet." in html
    assert "Add a KPI" in html


# --- Channels ------------------------------------------------------------------------------------------


def test_channels_list_and_delete_asks_for_confirmation(browser_client, cast, campaign, channel):
    html = browser_client(cast.member).get(base(campaign) + "/channels/").content.decode()
    assert "SMS blast" in html and "1,000,000" in html
    assert 'data-confirm="Delete the channel “SMS blast”?"' in html
    assert '<option value="offline_store">Offline stores</option>' in html


def test_channel_with_a_duplicate_name_or_bad_target_is_refused(browser_client, cast, campaign, channel):
    client = browser_client(cast.member)
    response = client.post(f"{base(campaign)}/channels/add/", {"type": "sms", "name": "SMS blast"})
    assert response.status_code == 400
    assert "This campaign has a channel with this name already." in response.content.decode()
    response = client.post(f"{base(campaign)}/channels/add/", {"type": "tv", "name": "TV", "conversion_target": "120"})
    assert response.status_code == 400
    assert Channel.objects.filter(campaign=campaign).count() == 1


def test_channels_page_has_an_empty_state(browser_client, cast, campaign):
    html = browser_client(cast.viewer).get(base(campaign) + "/channels/").content.decode()
    assert "No channels yet." in html


# --- Query counts stay flat as the plan grows -------------------------------------------------------------


def _grow(campaign, owner, n: int) -> None:
    """n tasks in a chain of dependencies, a third of them late, owned by ``owner``."""
    phase = Phase.objects.create(campaign=campaign, name=f"Phase {n}", start_date=day(1), end_date=day(40))
    tasks = Task.objects.bulk_create(
        Task(
            campaign=campaign,
            phase=phase,
            owner=owner,
            title=f"Task {n}-{i}",
            start_date=day(1 + i % 30),
            due_date=day(2 + i % 30),
            status=TaskStatus.values[i % 4],
        )
        for i in range(n)
    )
    TaskDependency.objects.bulk_create(
        TaskDependency(predecessor=p, successor=s) for p, s in zip(tasks, tasks[1:], strict=False) if p.pk < s.pk
    )


@pytest.mark.parametrize("page", ["/tasks/", "/tasks/?view=board", "/timeline/", "/kpis/", "/channels/"])
def test_work_pages_use_a_constant_number_of_queries(
    browser_client, cast, campaign, django_assert_max_num_queries, page
):
    client = browser_client(cast.member)
    Kpi.objects.create(campaign=campaign, name="K1", target=1)
    Channel.objects.create(campaign=campaign, type="sms", name="C1")
    _grow(campaign, cast.member, 12)
    client.get(base(campaign) + page)  # the timeline's stored health is worked out once after a change
    with django_assert_max_num_queries(13):
        assert client.get(base(campaign) + page).status_code == 200
    _grow(campaign, cast.deputy, 120)  # ten times the tasks
    for i in range(10):
        kpi = Kpi.objects.create(campaign=campaign, name=f"K{i + 2}", target=1)
        KpiReading.objects.create(kpi=kpi, date=day(1), actual=1)
        Channel.objects.create(campaign=campaign, type="social", name=f"C{i + 2}")
    client.get(base(campaign) + page)
    with django_assert_max_num_queries(13):
        assert client.get(base(campaign) + page).status_code == 200


def test_inline_edit_uses_a_constant_number_of_queries(
    browser_client, cast, campaign, plan, django_assert_max_num_queries
):
    client = browser_client(cast.member)
    _grow(campaign, cast.member, 200)
    # 16 before issue 16; since then each inline change is also written to the audit ledger (its head row is
    # created if missing, locked and advanced, and the entry inserted): 22, the same however many tasks.
    with django_assert_max_num_queries(22):
        assert _row_post(client, campaign, plan["b"], status="in_progress").status_code == 200


def test_a_reading_may_give_the_formulas_inputs_and_a_bad_input_is_named_in_the_card(
    browser_client, cast, campaign, kpi
):
    client = browser_client(cast.member)
    page = client.get(base(campaign) + "/kpis/").content.decode()
    assert "Or compute the actual value from its inputs" in page and f'id="kpi-{kpi.pk}-paid_members"' in page
    refused = _record(client, campaign, kpi, date="2027-02-14", paid_members="5", new_members="0")
    assert refused.status_code == 400
    assert f'id="kpi-{kpi.pk}-new_members-error"' in refused.content.decode()
    assert not KpiReading.objects.exists()
    saved = _record(client, campaign, kpi, date="2027-02-14", paid_members="30", new_members="120")
    assert saved.status_code == 200
    assert KpiReading.objects.get(kpi=kpi).actual == Decimal("25")
