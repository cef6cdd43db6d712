"""The main campaign pages (campaigns/views/pages.py): access for every page and POST, the list's filters and
pagination, create blank and from a playbook, the overview, lifecycle, copy, save as playbook, and the plan."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine

from campaigns import services
from campaigns.models import Campaign, CampaignStatus, Milestone, Phase, Playbook, Task, TaskStatus
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Twelve days into a festival campaign starting 10 Feb 2027: the first milestone (19 Feb) is still ahead.
START = dt.date(2027, 2, 10)


def at(day: dt.date):
    """Freeze the clock at 10:00 Shanghai time on ``day``."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def festival(db) -> Playbook:
    return Playbook.objects.get(code="festival")


@pytest.fixture
def campaign(cast, festival) -> Campaign:
    return services.campaign_create_from_playbook(
        actor=cast.lead,
        team=cast.team,
        playbook=festival,
        code="WD-2027",
        name="女神節 Women's Day",
        objective="1,000,000 new users",
        start_date=START,
    )


@pytest.fixture
def other_campaign(cast) -> Campaign:
    """A campaign of the outsider's team, with one phase and milestone."""
    team = cast.outsider.memberships.get().team
    other = services.campaign_create(
        actor=cast.outsider,
        team=team,
        code="CH-1",
        name="渠道拓展",
        start_date=START,
        end_date=START + dt.timedelta(days=9),
    )
    phase = services.phase_save(
        campaign=other, actor=cast.outsider, name="P", order=1, start_date=START, end_date=START
    )
    services.milestone_save(campaign=other, actor=cast.outsider, phase=phase, name="M", due_date=START)
    return other


def html(response) -> str:
    return response.content.decode()


def error_for(page: str, field: str) -> str:
    """The text of the field's error block (rendered next to the field by includes/field.html)."""
    match = re.search(rf'id="[\w-]*{field}-error">(.*?)</div>', page, re.S)
    return match.group(1).strip() if match else ""


# --- Access: every page with the owner, lesser teammates, the outsider and the executive ----------


def page_urls(campaign: Campaign) -> dict[str, str]:
    phase = campaign.phases.first()
    milestone = campaign.milestones.first()
    return {
        "detail": f"/campaigns/{campaign.pk}/",
        "plan": f"/campaigns/{campaign.pk}/plan/",
        "edit": f"/campaigns/{campaign.pk}/edit/",
        "copy": f"/campaigns/{campaign.pk}/copy/",
        "save_playbook": f"/campaigns/{campaign.pk}/save-as-playbook/",
        "phase_edit": f"/campaigns/{campaign.pk}/plan/phases/{phase.pk}/edit/",
        "milestone_edit": f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/edit/",
    }


# Expected GET status per page and person. Copying needs a team the person may create campaigns in.
GET_EXPECTATIONS = {
    "lead": {"detail": 200, "plan": 200, "edit": 200, "copy": 200, "save_playbook": 200, "phase_edit": 200,
             "milestone_edit": 200},
    "deputy": {"detail": 200, "plan": 200, "edit": 200, "copy": 200, "save_playbook": 200, "phase_edit": 200,
               "milestone_edit": 200},
    "member": {"detail": 200, "plan": 200, "edit": 403, "copy": 403, "save_playbook": 403, "phase_edit": 200,
               "milestone_edit": 200},
    "viewer": {"detail": 200, "plan": 200, "edit": 403, "copy": 403, "save_playbook": 403, "phase_edit": 403,
               "milestone_edit": 403},
    "executive": {"detail": 200, "plan": 200, "edit": 403, "copy": 403, "save_playbook": 403, "phase_edit": 403,
                  "milestone_edit": 403},
    "outsider": {"detail": 404, "plan": 404, "edit": 404, "copy": 404, "save_playbook": 404, "phase_edit": 404,
                 "milestone_edit": 404},
    "admin": {"detail": 200, "plan": 200, "edit": 200, "copy": 200, "save_playbook": 200, "phase_edit": 200,
              "milestone_edit": 200},
}  # fmt: skip


@pytest.mark.parametrize("person", GET_EXPECTATIONS)
def test_each_campaign_page_answers_each_person_as_the_access_rules_say(browser_client, cast, campaign, person):
    client = browser_client(getattr(cast, person))
    got = {name: client.get(url).status_code for name, url in page_urls(campaign).items()}
    assert got == GET_EXPECTATIONS[person]


def test_an_unknown_or_malformed_campaign_is_not_found(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    assert client.get("/campaigns/999999/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/plan/milestones/999999/edit/").status_code == 404


def test_a_milestone_of_another_campaign_is_not_found_through_this_one(browser_client, cast, campaign, other_campaign):
    foreign = other_campaign.milestones.get()
    client = browser_client(cast.lead)
    assert client.get(f"/campaigns/{campaign.pk}/plan/milestones/{foreign.pk}/edit/").status_code == 404
    assert client.post(f"/campaigns/{campaign.pk}/plan/milestones/{foreign.pk}/done/", {"done": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.done


def test_pages_need_a_login(client, campaign):
    for url in ("/campaigns/", "/campaigns/new/", f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/plan/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "suffix",
    ["transition/", "plan/phases/", "plan/milestones/"],
)
def test_write_endpoints_refuse_get(browser_client, cast, campaign, suffix):
    assert browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/{suffix}").status_code == 405


def test_the_overview_hides_buttons_a_viewer_cannot_use(browser_client, cast, campaign):
    page = html(browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/"))
    assert "data-transition=" not in page
    assert f"/campaigns/{campaign.pk}/edit/" not in page
    assert f"/campaigns/{campaign.pk}/copy/" not in page
    assert f"/campaigns/{campaign.pk}/save-as-playbook/" not in page


def test_the_overview_shows_the_lead_the_lifecycle_and_links(browser_client, cast, campaign):
    page = html(browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/"))
    assert 'data-transition="planning"' in page
    assert 'data-transition="cancelled"' in page
    assert 'data-confirm="Cancel this campaign?' in page
    assert 'data-transition="closed"' not in page
    for suffix in ("edit/", "copy/", "save-as-playbook/"):
        assert f"/campaigns/{campaign.pk}/{suffix}" in page


def test_a_member_sees_plan_forms_but_no_lifecycle_buttons(browser_client, cast, campaign):
    client = browser_client(cast.member)
    assert "data-transition=" not in html(client.get(f"/campaigns/{campaign.pk}/"))
    plan = html(client.get(f"/campaigns/{campaign.pk}/plan/"))
    assert 'id="add-phase-form"' in plan
    assert "Mark done" in plan


def test_a_viewer_sees_the_plan_without_forms(browser_client, cast, campaign):
    plan = html(browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/plan/"))
    assert "準備期 Preparation" in plan
    assert 'id="add-phase-form"' not in plan
    assert "Mark done" not in plan


# --- Writes: who may --------------------------------------------------------------------------------


def test_transition_lead_and_deputy_yes_member_and_viewer_403_outsider_404(browser_client, cast, campaign):
    url = f"/campaigns/{campaign.pk}/transition/"
    for person, status in (("outsider", 404), ("executive", 403), ("viewer", 403), ("member", 403)):
        assert browser_client(getattr(cast, person)).post(url, {"status": "planning"}).status_code == status
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert browser_client(cast.deputy).post(url, {"status": "planning"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNING


def test_editing_the_header_lead_yes_member_403_outsider_404(browser_client, cast, campaign):
    url = f"/campaigns/{campaign.pk}/edit/"
    data = {
        "code": "WD-2027",
        "name": "Renamed",
        "objective": "",
        "start_date": "2027-02-10",
        "end_date": "2027-03-20",
        "lead": cast.deputy.pk,
    }
    assert browser_client(cast.outsider).post(url, data).status_code == 404
    assert browser_client(cast.member).post(url, data).status_code == 403
    assert browser_client(cast.viewer).post(url, data).status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "女神節 Women's Day"
    response = browser_client(cast.lead).post(url, data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.end_date, campaign.lead) == ("Renamed", dt.date(2027, 3, 20), cast.deputy)


def test_editing_with_the_end_before_the_start_shows_the_error_and_saves_nothing(browser_client, cast, campaign):
    data = {"code": "WD-2027", "name": "X", "start_date": "2027-02-10", "end_date": "2027-02-01", "lead": cast.lead.pk}
    response = browser_client(cast.lead).post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400
    assert "must not be before the start date" in error_for(html(response), "end_date")
    campaign.refresh_from_db()
    assert campaign.name == "女神節 Women's Day"


def test_a_closed_campaign_cannot_be_edited_and_says_why(browser_client, cast, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    data = {"code": "WD-2027", "name": "X", "start_date": "2027-02-10", "end_date": "2027-03-20", "lead": cast.lead.pk}
    client = browser_client(cast.lead)
    response = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400
    assert "A closed or cancelled campaign cannot be changed." in html(response)
    campaign.refresh_from_db()
    assert campaign.name == "女神節 Women's Day"
    assert f"/campaigns/{campaign.pk}/edit/" not in html(client.get(f"/campaigns/{campaign.pk}/"))


def test_save_as_playbook_lead_yes_member_403_outsider_404(browser_client, cast, campaign):
    url = f"/campaigns/{campaign.pk}/save-as-playbook/"
    data = {"code": "wd-plan", "name": "Women's Day plan", "description": "Our plan"}
    assert browser_client(cast.outsider).post(url, data).status_code == 404
    assert browser_client(cast.member).post(url, data).status_code == 403
    assert not Playbook.objects.filter(code="wd-plan").exists()
    response = browser_client(cast.lead).post(url, data)
    assert response.status_code == 302
    playbook = Playbook.objects.get(code="wd-plan")
    assert [p["name"] for p in playbook.definition["phases"]] == [
        "準備期 Preparation",
        "執行期 Execution",
        "收尾期 Wrap-up",
    ]
    assert len(playbook.definition["tasks"]) == 9
    assert not playbook.builtin


def test_saving_a_playbook_under_a_taken_code_shows_a_field_error(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/save-as-playbook/", {"code": "festival", "name": "Again"}
    )
    assert response.status_code == 400
    assert "A playbook with the code festival exists already." in error_for(html(response), "code")
    assert Playbook.objects.filter(code="festival").count() == 1


def test_copy_viewer_403_outsider_404_nothing_created(browser_client, cast, campaign):
    url = f"/campaigns/{campaign.pk}/copy/"
    data = {"code": "WD-2028", "name": "Copy", "start_date": "2028-02-10"}
    assert browser_client(cast.outsider).post(url, data).status_code == 404
    assert browser_client(cast.viewer).post(url, data).status_code == 403
    assert browser_client(cast.member).post(url, data).status_code == 403
    assert not Campaign.objects.filter(code="WD-2028").exists()


def test_plan_writes_member_yes_viewer_403_outsider_404(browser_client, cast, campaign):
    phase = campaign.phases.get(order=1)
    milestone = campaign.milestones.order_by("due_date").first()
    base = f"/campaigns/{campaign.pk}/plan"
    writes = [
        (f"{base}/phases/", {"name": "Extra", "order": 4, "start_date": "2027-03-16", "end_date": "2027-03-20"}),
        (f"{base}/phases/{phase.pk}/edit/", {"name": "Prep!", "order": 1, "start_date": "2027-02-10",
                                             "end_date": "2027-03-01"}),
        (f"{base}/milestones/", {"phase": phase.pk, "name": "Extra M", "due_date": "2027-02-12"}),
        (f"{base}/milestones/{milestone.pk}/edit/", {"phase": phase.pk, "name": "Renamed M",
                                                     "due_date": "2027-02-19"}),
        (f"{base}/milestones/{milestone.pk}/done/", {"done": "1"}),
    ]  # fmt: skip
    for url, data in writes:
        assert browser_client(cast.outsider).post(url, data).status_code == 404, url
        assert browser_client(cast.viewer).post(url, data).status_code == 403, url
        assert browser_client(cast.executive).post(url, data).status_code == 403, url
    assert campaign.phases.count() == 3
    assert campaign.milestones.count() == 5
    for url, data in writes:
        assert browser_client(cast.member).post(url, data).status_code == 302, url
    phase.refresh_from_db()
    milestone.refresh_from_db()
    assert campaign.phases.count() == 4
    assert campaign.milestones.count() == 6
    assert phase.name == "Prep!"
    assert milestone.name == "Renamed M"
    assert milestone.done


# --- List ----------------------------------------------------------------------------------------------


def make_campaigns(cast, count: int, *, prefix: str = "C", start: dt.date = START, with_tasks: int = 0):
    made = []
    for i in range(count):
        c = services.campaign_create(
            actor=cast.lead,
            team=cast.team,
            code=f"{prefix}-{i:03d}",
            name=f"Campaign {prefix} {i}",
            start_date=start + dt.timedelta(days=i),
            end_date=start + dt.timedelta(days=i + 10),
        )
        Task.objects.bulk_create(
            Task(campaign=c, title=f"T{j}", start_date=c.start_date, due_date=c.end_date) for j in range(with_tasks)
        )
        made.append(c)
    return made


def listed_codes(response) -> list[str]:
    return re.findall(r'<tr data-campaign="([^"]+)"', html(response))


def test_the_list_shows_only_campaigns_the_person_may_see(browser_client, cast, campaign, other_campaign):
    assert listed_codes(browser_client(cast.viewer).get("/campaigns/")) == ["WD-2027"]
    assert listed_codes(browser_client(cast.outsider).get("/campaigns/")) == ["CH-1"]
    assert sorted(listed_codes(browser_client(cast.executive).get("/campaigns/"))) == ["CH-1", "WD-2027"]
    assert listed_codes(browser_client(cast.finance).get("/campaigns/")) == []


def test_the_list_has_the_columns_and_a_status_badge(browser_client, cast, campaign):
    page = html(browser_client(cast.lead).get("/campaigns/"))
    row = page[page.index('<tr data-campaign="WD-2027"') :]
    row = row[: row.index("</tr>")]
    for text in (
        "WD-2027",
        "女神節 Women&#x27;s Day",
        "女神節專項工作組",
        str(cast.lead),
        'class="badge status-draft"',
    ):
        assert text in row
    assert re.search(r'<td class="text-end">9</td>', row), "task count"


def test_the_list_filters_by_status_team_dates_and_search(browser_client, cast, campaign, other_campaign):
    extra = make_campaigns(cast, 2, prefix="SP", start=dt.date(2027, 5, 1))
    services.campaign_transition(campaign=extra[0], actor=cast.lead, status="planning")
    client = browser_client(cast.executive)
    assert listed_codes(client.get("/campaigns/?status=planning")) == ["SP-000"]
    other_team = cast.outsider.memberships.get().team
    assert listed_codes(client.get(f"/campaigns/?team={other_team.pk}")) == ["CH-1"]
    assert listed_codes(client.get("/campaigns/?active_on=2027-03-05")) == ["WD-2027"]
    assert listed_codes(client.get("/campaigns/?starts_after=2027-04-01")) == ["SP-001", "SP-000"]
    assert listed_codes(client.get("/campaigns/?starts_before=2027-04-01&team=" + str(cast.team.pk))) == ["WD-2027"]
    assert listed_codes(client.get("/campaigns/?q=wd-20")) == ["WD-2027"]  # code, any case
    assert listed_codes(client.get("/campaigns/?q=渠道")) == ["CH-1"]  # name
    assert listed_codes(client.get("/campaigns/?q=1,000,000")) == ["WD-2027"]  # objective


def test_the_team_filter_offers_only_teams_the_person_can_see(browser_client, cast, campaign, other_campaign):
    client = browser_client(cast.viewer)
    page = html(client.get("/campaigns/"))
    assert "渠道拓展組" not in page
    # A team picked by hand that the person cannot see is ignored rather than leaking anything.
    other_team = cast.outsider.memberships.get().team
    assert listed_codes(client.get(f"/campaigns/?team={other_team.pk}")) == ["WD-2027"]


def test_nonsense_filter_values_are_ignored(browser_client, cast, campaign):
    response = browser_client(cast.lead).get("/campaigns/?status=bogus&active_on=someday&team=x&page=zz")
    assert response.status_code == 200
    assert listed_codes(response) == ["WD-2027"]


def test_the_list_pages_by_25_and_keeps_the_filters_in_page_links(browser_client, cast):
    make_campaigns(cast, 30)
    client = browser_client(cast.lead)
    first = client.get("/campaigns/?status=draft&q=Campaign")
    assert len(listed_codes(first)) == 25
    assert 'href="?page=2&amp;status=draft&amp;q=Campaign"' in html(first)
    second = client.get("/campaigns/?page=2&status=draft&q=Campaign")
    assert len(listed_codes(second)) == 5
    assert set(listed_codes(first)).isdisjoint(listed_codes(second))
    assert 'href="?page=1&amp;status=draft&amp;q=Campaign"' in html(second)


def test_the_empty_list_invites_a_lead_to_create_the_first_campaign(browser_client, cast):
    page = html(browser_client(cast.lead).get("/campaigns/"))
    assert "Create your first campaign" in page
    assert 'href="/campaigns/new/"' in page


def test_the_empty_list_tells_others_who_can_create_campaigns(browser_client, cast):
    page = html(browser_client(cast.member).get("/campaigns/"))
    assert "Create your first campaign" not in page
    assert 'href="/campaigns/new/"' not in page
    assert "created by the lead or deputy lead of a team" in page


def test_a_filter_with_no_match_offers_to_clear_it(browser_client, cast, campaign):
    page = html(browser_client(cast.lead).get("/campaigns/?q=nothing-like-this"))
    assert "No campaign matches these filters." in page


def test_the_list_query_count_does_not_grow_with_the_data(browser_client, cast, django_assert_max_num_queries):
    client = browser_client(cast.lead)
    make_campaigns(cast, 3, prefix="A", with_tasks=2)
    client.get("/campaigns/")  # warm the session
    with django_assert_max_num_queries(9):
        assert len(listed_codes(client.get("/campaigns/?status=draft"))) == 3
    make_campaigns(cast, 27, prefix="B", with_tasks=20)
    with django_assert_max_num_queries(9):
        assert len(listed_codes(client.get("/campaigns/?status=draft"))) == 25


# --- Create ---------------------------------------------------------------------------------------------


def test_the_create_form_offers_the_teams_i_lead_and_the_builtin_playbooks(browser_client, cast):
    other = TeamFactory(name="另一組")
    MembershipFactory(team=other, user=cast.lead, role="member")
    page = html(browser_client(cast.lead).get("/campaigns/new/"))
    assert "女神節專項工作組" in page
    assert "另一組" not in page
    assert 'data-playbook="festival"' in page
    assert 'data-playbook="launch"' in page
    assert "準備期 Preparation" in page and "收尾期 Wrap-up" in page
    assert "34 days" in page


def test_people_who_lead_no_team_cannot_open_the_create_form(browser_client, cast):
    for person in ("member", "viewer", "executive"):
        assert browser_client(getattr(cast, person)).get("/campaigns/new/").status_code == 403


def test_the_admin_may_create_in_any_task_force(browser_client, cast):
    page = html(browser_client(cast.admin).get("/campaigns/new/"))
    assert "女神節專項工作組" in page and "渠道拓展組" in page


def test_creating_a_blank_campaign_through_the_form(browser_client, cast):
    data = {
        "team": cast.team.pk,
        "code": " SPRING-1 ",
        "name": "Spring",
        "objective": "More members",
        "start_date": "2027-04-01",
        "end_date": "2027-04-30",
        "playbook": "",
    }
    client = browser_client(cast.lead)
    response = client.post("/campaigns/new/", data)
    created = Campaign.objects.get(code="SPRING-1")
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{created.pk}/"
    assert (created.team, created.lead, created.status) == (cast.team, cast.lead, CampaignStatus.DRAFT)
    assert (created.start_date, created.end_date) == (dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    assert not created.phases.exists()
    assert "Campaign SPRING-1 created." in html(client.get(response["Location"]))


def test_creating_from_the_festival_playbook_needs_only_a_start_date(browser_client, cast, festival):
    data = {
        "team": cast.team.pk,
        "code": "WD-2028",
        "name": "女神節 2028",
        "start_date": "2028-02-10",
        "playbook": festival.pk,
        "lead": cast.deputy.pk,
    }
    response = browser_client(cast.lead).post("/campaigns/new/", data)
    assert response.status_code == 302
    created = Campaign.objects.get(code="WD-2028")
    assert created.playbook == festival
    assert created.lead == cast.deputy
    assert created.end_date == dt.date(2028, 3, 14)  # 34 days from 10 Feb 2028 (a leap year)
    assert list(created.phases.values_list("name", "start_date")) == [
        ("準備期 Preparation", dt.date(2028, 2, 10)),
        ("執行期 Execution", dt.date(2028, 3, 1)),
        ("收尾期 Wrap-up", dt.date(2028, 3, 7)),
    ]
    assert created.milestones.count() == 5
    assert created.tasks.count() == 9
    assert created.kpis.count() == 4


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end_date": "2027-03-01"}, "end_date", "The end date must not be before the start date."),
        ({"code": "wd-2027"}, "code", "A campaign with the code wd-2027 exists already."),
        ({"name": ""}, "name", "This field is required."),
        ({"start_date": ""}, "start_date", "This field is required."),
        ({"end_date": ""}, "end_date", "Give an end date, or choose a playbook to derive it."),
        ({"start_date": "31/02/2027"}, "start_date", "Enter a valid date."),
    ],
)
def test_bad_input_on_create_is_shown_next_to_the_field_and_nothing_is_saved(
    browser_client, cast, campaign, change, field, message
):
    data = {"team": cast.team.pk, "code": "NEW-1", "name": "New", "start_date": "2027-04-01", "end_date": "2027-04-30"}
    data.update(change)
    before = (Campaign.objects.count(), Phase.objects.count())
    response = browser_client(cast.lead).post("/campaigns/new/", data)
    assert response.status_code == 400
    assert message in error_for(html(response), field)
    assert 'aria-invalid="true"' in html(response)
    assert (Campaign.objects.count(), Phase.objects.count()) == before


def test_a_duplicate_code_from_a_playbook_leaves_no_half_built_plan(browser_client, cast, campaign, festival):
    before = (Campaign.objects.count(), Phase.objects.count(), Task.objects.count())
    response = browser_client(cast.lead).post(
        "/campaigns/new/",
        {"team": cast.team.pk, "code": "WD-2027", "name": "Again", "start_date": "2028-01-01", "playbook": festival.pk},
    )
    assert response.status_code == 400
    assert "exists already" in error_for(html(response), "code")
    assert (Campaign.objects.count(), Phase.objects.count(), Task.objects.count()) == before


def test_a_lead_cannot_create_in_a_team_they_do_not_lead(browser_client, cast):
    other_team = cast.outsider.memberships.get().team
    response = browser_client(cast.lead).post(
        "/campaigns/new/",
        {"team": other_team.pk, "code": "X-1", "name": "X", "start_date": "2027-04-01", "end_date": "2027-04-30"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in error_for(html(response), "team")
    assert not Campaign.objects.filter(code="X-1").exists()


def test_a_lead_who_is_not_on_the_team_is_refused_next_to_the_field(browser_client, cast):
    response = browser_client(cast.admin).post(
        "/campaigns/new/",
        {"team": cast.team.pk, "code": "X-2", "name": "X", "start_date": "2027-04-01", "end_date": "2027-04-30"},
    )
    assert response.status_code == 400
    assert "must be a lead, deputy or member of its team" in error_for(html(response), "lead")
    assert not Campaign.objects.filter(code="X-2").exists()


# --- Lifecycle -------------------------------------------------------------------------------------------


def test_a_legal_transition_moves_the_campaign_and_says_so(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    response = client.post(f"/campaigns/{campaign.pk}/transition/", {"status": "planning"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNING
    assert "The campaign is now Planning." in html(response)
    assert 'data-transition="active"' in html(response)


def test_an_illegal_transition_is_refused_with_a_message_and_the_status_stays(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    response = client.post(f"/campaigns/{campaign.pk}/transition/", {"status": "closed"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "A campaign cannot move from Draft to Closed." in html(response)


def test_an_unknown_status_is_refused(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(f"/campaigns/{campaign.pk}/transition/", {"status": "x"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "Choose a valid status." in html(response)


def test_cancelling_is_final_and_the_buttons_go_away(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    page = html(client.post(f"/campaigns/{campaign.pk}/transition/", {"status": "cancelled"}, follow=True))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert "data-transition=" not in page
    assert "reached its final status" in page


# --- Copy -------------------------------------------------------------------------------------------------


def test_copying_shifts_every_date_by_the_same_days(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/copy/", {"code": "WD-2028", "name": "女神節 2028", "start_date": "2028-02-09"}
    )
    assert response.status_code == 302
    copy = Campaign.objects.get(code="WD-2028")
    assert response["Location"] == f"/campaigns/{copy.pk}/"
    shift = dt.timedelta(days=364)
    assert (copy.start_date, copy.end_date) == (campaign.start_date + shift, campaign.end_date + shift)
    assert copy.copied_from == campaign and copy.team == cast.team
    original = list(campaign.phases.values_list("name", "start_date", "end_date"))
    copied = list(copy.phases.values_list("name", "start_date", "end_date"))
    assert copied == [(n, s + shift, e + shift) for n, s, e in original]
    assert sorted(d + shift for d in campaign.milestones.values_list("due_date", flat=True)) == sorted(
        copy.milestones.values_list("due_date", flat=True)
    )
    assert copy.tasks.count() == 9


def test_copying_to_a_taken_code_shows_a_field_error(browser_client, cast, campaign):
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/copy/", {"code": "WD-2027", "name": "X", "start_date": "2028-02-09"}
    )
    assert response.status_code == 400
    assert "exists already" in error_for(html(response), "code")
    assert Campaign.objects.count() == 1


def test_copying_into_another_task_force_the_copier_leads(browser_client, cast, campaign):
    second = TeamFactory(name="第二組")
    MembershipFactory(team=second, user=cast.lead, role="deputy")
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/copy/",
        {"code": "WD-B", "name": "B", "start_date": "2027-06-01", "team": second.pk},
    )
    assert response.status_code == 302
    copy = Campaign.objects.get(code="WD-B")
    assert (copy.team, copy.lead) == (second, cast.lead)


# --- Overview -------------------------------------------------------------------------------------------


def test_the_overview_shows_phase_lights_in_words_milestones_and_late_tasks(browser_client, cast, campaign):
    with at(dt.date(2027, 2, 20)):  # research (due 16 Feb) and design (due 19 Feb) are late; 19 Feb milestone overdue
        page = html(browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/"))
    prep = page[page.index('data-phase="') : page.index("執行期 Execution")]
    assert 'data-health="red"' in prep
    assert "Urgent intervention" in prep  # the light has words, not colour alone
    # The late preparation pushes execution past its phase end (yellow) and wrap-up past the campaign's (red).
    assert "Needs attention" in page and 'data-slip="6"' in page
    upcoming = page[page.index('id="milestones-heading"') : page.index('id="late-heading"')]
    assert upcoming.index("權益包設計方向確定") < upcoming.index("物料終稿交付")
    assert "milestone-overdue" in upcoming
    assert "1 day overdue" in upcoming
    assert "5 days left" in upcoming  # 25 Feb
    assert "用戶需求洞察報告" in upcoming  # the deliverable
    assert upcoming.count("<li") == 5
    late = page[page.index('id="late-heading"') : page.index('id="kpi-heading"')]
    assert "用戶調研" in late and "權益包設計" in late
    assert re.search(r"<td class=\"text-end text-danger fw-semibold\">4</td>", late)  # research, 4 days late


def test_the_overview_compares_projected_and_planned_end(browser_client, cast, campaign):
    with at(dt.date(2027, 2, 12)):
        page = html(browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/"))
    assert "On track" in page
    assert "Critical path" in page
    with at(dt.date(2027, 3, 10)):  # nothing done at all: the plan keeps slipping
        page = html(browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/"))
    assert 'badge text-bg-danger">Late' in page
    slip = int(re.search(r'data-slip="(-?\d+)"', page).group(1))
    assert slip > 0
    assert f"Projected to end {slip} days after the planned end." in page


def test_the_overview_gives_kpi_data_to_the_chart_and_the_table(browser_client, cast, campaign):
    kpi = campaign.kpis.get(kind="member_conversion")
    services.kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, actual="20", forecast="22")
    page = html(browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/"))
    assert '<script id="kpi-data" type="application/json">' in page
    assert '"percent": 80.0' in page
    assert "campaigns/overview.js" in page and "vendor/chartjs/chart.umd.min.js" in page
    table = page[page.index('class="table table-sm kpi-table') :]
    assert "會員轉化率 Member conversion" in table and "80 %" in table
    assert "1,000,000" in table  # the new-users target, grouped


def test_no_page_carries_inline_script_code(browser_client, cast, campaign):
    client = browser_client(cast.lead)
    for url in ("/campaigns/", "/campaigns/new/", *page_urls(campaign).values()):
        for tag in re.findall(r"<script[^>]*>", html(client.get(url))):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_an_empty_campaign_overview_says_what_to_do_next(browser_client, cast):
    empty = services.campaign_create(
        actor=cast.lead, team=cast.team, code="E-1", name="Empty", start_date=START, end_date=START
    )
    lead_page = html(browser_client(cast.lead).get(f"/campaigns/{empty.pk}/"))
    assert "This campaign has no phases yet." in lead_page
    assert "Add the first phase" in lead_page
    assert "No tasks yet" in lead_page
    assert "No KPIs yet." in lead_page
    assert "kpi-data" not in lead_page
    viewer_page = html(browser_client(cast.viewer).get(f"/campaigns/{empty.pk}/"))
    assert "Add the first phase" not in viewer_page


def grow(cast, campaign: Campaign, factor: int, *, batch: str) -> None:
    """Add ``factor`` × (phases with milestones, tasks with dependencies, KPIs with readings) to a campaign."""
    for n in range(factor):
        i = f"{batch}{n}"
        phase = services.phase_save(
            campaign=campaign, actor=cast.lead, name=f"G{i}", order=10 + n, start_date=START, end_date=START
        )
        for j in range(2):
            services.milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name=f"M{i}.{j}", due_date=START)
        previous = None
        for j in range(3):
            task = services.task_save(
                campaign=campaign,
                actor=cast.lead,
                phase=phase,
                title=f"T{i}.{j}",
                owner=cast.member,
                start_date=START,
                due_date=START + dt.timedelta(days=j),
                depends_on=[previous] if previous else [],
            )
            previous = task
        kpi = campaign.kpis.create(name=f"K{i}", target=100)
        services.kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, actual=50 + n, forecast=60)


def test_the_overview_query_count_does_not_grow_with_the_data(
    browser_client, cast, campaign, django_assert_max_num_queries
):
    with at(dt.date(2027, 2, 20)):  # late tasks, overdue milestones and a slipping schedule all have rows
        client = browser_client(cast.viewer)
        grow(cast, campaign, 2, batch="a")
        client.get(f"/campaigns/{campaign.pk}/")
        # 14 for the plan, KPIs and schedule; up to 6 more for the budget, risk heat map, alerts and next standup
        # (tests/campaigns/test_overview_dashboard.py grows those too).
        with django_assert_max_num_queries(20):
            assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
        grow(cast, campaign, 20, batch="b")
        client.get(f"/campaigns/{campaign.pk}/")  # the stored health is worked out once after a change
        with django_assert_max_num_queries(20):
            page = html(client.get(f"/campaigns/{campaign.pk}/"))
    assert "and 58 more late tasks" in page  # 2 of the playbook, 66 grown, 10 shown


def test_the_plan_query_count_does_not_grow_with_the_data(
    browser_client, cast, campaign, django_assert_max_num_queries
):
    client = browser_client(cast.lead)
    grow(cast, campaign, 2, batch="a")
    client.get(f"/campaigns/{campaign.pk}/plan/")
    with django_assert_max_num_queries(12):
        assert client.get(f"/campaigns/{campaign.pk}/plan/").status_code == 200
    grow(cast, campaign, 20, batch="b")
    with django_assert_max_num_queries(12):
        assert client.get(f"/campaigns/{campaign.pk}/plan/").status_code == 200


# --- Plan ---------------------------------------------------------------------------------------------


def test_the_plan_lists_phases_in_order_with_health_and_milestones(browser_client, cast, campaign):
    with at(dt.date(2027, 2, 20)):
        page = html(browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/plan/"))
    assert page.index("準備期 Preparation") < page.index("執行期 Execution") < page.index("收尾期 Wrap-up")
    assert "Urgent intervention" in page
    assert "功能驗收 Platform acceptance" in page
    assert "驗收報告 Acceptance report" in page
    assert "Overdue" in page


def test_adding_a_phase_with_bad_dates_shows_the_error_and_saves_nothing(browser_client, cast, campaign):
    response = browser_client(cast.member).post(
        f"/campaigns/{campaign.pk}/plan/phases/",
        {"name": "Late", "order": 4, "start_date": "2027-03-20", "end_date": "2027-03-16"},
    )
    assert response.status_code == 400
    assert "must not be before the start date" in error_for(html(response), "end_date")
    assert campaign.phases.count() == 3


def test_adding_a_milestone_without_a_name_shows_the_error(browser_client, cast, campaign):
    phase = campaign.phases.first()
    response = browser_client(cast.member).post(
        f"/campaigns/{campaign.pk}/plan/milestones/", {"phase": phase.pk, "name": "", "due_date": "2027-02-12"}
    )
    assert response.status_code == 400
    assert "This field is required." in error_for(html(response), "name")
    assert campaign.milestones.count() == 5


def test_a_milestone_cannot_be_moved_into_another_campaigns_phase(browser_client, cast, campaign, other_campaign):
    milestone = campaign.milestones.first()
    foreign_phase = other_campaign.phases.get()
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/edit/",
        {"phase": foreign_phase.pk, "name": "Moved", "due_date": "2027-02-12"},
    )
    assert response.status_code == 400
    milestone.refresh_from_db()
    assert milestone.phase.campaign_id == campaign.pk


def test_marking_a_milestone_done_without_javascript(browser_client, cast, campaign):
    milestone = campaign.milestones.order_by("due_date").first()
    with at(dt.date(2027, 2, 18)):
        client = browser_client(cast.member)
        response = client.post(f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/done/", {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/plan/"
    milestone.refresh_from_db()
    assert (milestone.done, milestone.done_on) == (True, dt.date(2027, 2, 18))
    client.post(f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/done/", {"done": ""})
    milestone.refresh_from_db()
    assert (milestone.done, milestone.done_on) == (False, None)


def test_marking_a_milestone_done_with_htmx_returns_the_refreshed_phase_list(browser_client, cast, campaign):
    milestone = campaign.milestones.order_by("due_date").first()
    with at(dt.date(2027, 2, 20)):
        response = browser_client(cast.member).post(
            f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/done/", {"done": "1"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    page = html(response)
    assert page.lstrip().startswith('<div id="phase-list"')
    assert "<html" not in page
    assert f'id="milestone-{milestone.pk}"' in page
    assert re.search(rf'id="milestone-{milestone.pk}" data-done="1"', page) or 'data-done="1"' in page
    milestone.refresh_from_db()
    assert milestone.done


def test_the_plan_answers_htmx_with_just_the_phase_list(browser_client, cast, campaign):
    response = browser_client(cast.viewer).get(f"/campaigns/{campaign.pk}/plan/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in html(response)
    assert "準備期 Preparation" in html(response)
    assert "HX-Request" in response["Vary"]


def test_a_campaign_without_phases_explains_the_plan(browser_client, cast):
    empty = services.campaign_create(
        actor=cast.lead, team=cast.team, code="E-2", name="Empty", start_date=START, end_date=START
    )
    page = html(browser_client(cast.lead).get(f"/campaigns/{empty.pk}/plan/"))
    assert "No phases yet." in page
    assert "Milestones belong to a phase: add a phase first." in page


def test_a_done_task_counts_for_phase_progress_on_the_plan(browser_client, cast, campaign):
    Task.objects.filter(campaign=campaign, phase__order=1).update(status=TaskStatus.DONE, progress=100)
    page = html(browser_client(cast.lead).get(f"/campaigns/{campaign.pk}/plan/"))
    assert "100 % done" in page


def test_milestone_edit_can_untick_done(browser_client, cast, campaign):
    milestone = campaign.milestones.first()
    Milestone.objects.filter(pk=milestone.pk).update(done=True, done_on=START)
    response = browser_client(cast.lead).post(
        f"/campaigns/{campaign.pk}/plan/milestones/{milestone.pk}/edit/",
        {"phase": milestone.phase_id, "name": milestone.name, "due_date": "2027-02-19", "deliverable": "X"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.done, milestone.done_on, milestone.deliverable) == (False, None, "X")
