"""Campaign services: lifecycle, creation rules, playbooks, date-shifted copies, dependency cycles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Campaign, CampaignStatus, Kpi, KpiReading, Milestone, Phase, Playbook, Task, TaskDependency
from campaigns.services import (
    campaign_copy,
    campaign_create,
    campaign_create_from_playbook,
    campaign_transition,
    kpi_record_reading,
    playbook_save_from_campaign,
    playbooks_sync_builtin,
    task_add_dependency,
    task_save,
)
from core.errors import ApplicationError, Conflict, NotAllowed
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

START = dt.date(2027, 2, 10)


@pytest.fixture
def festival(db) -> Playbook:
    playbooks_sync_builtin()
    return Playbook.objects.get(code="festival")


def make_campaign(cast, code="WD-T", **kw) -> Campaign:
    return campaign_create(
        actor=cast.lead,
        team=cast.team,
        code=code,
        name="Test",
        start_date=START,
        end_date=START + dt.timedelta(days=30),
        **kw,
    )


def test_lead_or_deputy_create_members_and_viewers_may_not(cast):
    assert make_campaign(cast).status == CampaignStatus.DRAFT
    campaign_create(actor=cast.deputy, team=cast.team, code="D-1", name="x", start_date=START, end_date=START)
    for person in (cast.member, cast.viewer, cast.outsider, cast.executive):
        with pytest.raises(NotAllowed):
            campaign_create(
                actor=person, team=cast.team, code=f"X-{person.pk}", name="x", start_date=START, end_date=START
            )


def test_lead_defaults_to_the_creator_and_must_be_on_the_team(cast):
    assert make_campaign(cast).lead == cast.lead
    with pytest.raises(ApplicationError) as excinfo:
        make_campaign(cast, code="WD-2", lead=cast.viewer)
    assert "lead" in excinfo.value.errors
    with pytest.raises(ApplicationError):
        make_campaign(cast, code="WD-3", lead=cast.outsider)


def test_dates_and_duplicate_codes_are_refused_field_by_field(cast):
    make_campaign(cast)
    with pytest.raises(ApplicationError) as excinfo:
        make_campaign(cast, code="wd-t")
    assert "code" in excinfo.value.errors
    with pytest.raises(ApplicationError) as excinfo:
        campaign_create(
            actor=cast.lead, team=cast.team, code="N", name="x", start_date=START, end_date=START - dt.timedelta(days=1)
        )
    assert "end_date" in excinfo.value.errors
    assert Campaign.objects.count() == 1


def test_lifecycle_moves_forward_and_cancels_before_closed(cast):
    campaign = make_campaign(cast)
    for status in ("planning", "active", "closing", "closed"):
        campaign = campaign_transition(campaign=campaign, actor=cast.lead, status=status)
    with pytest.raises(Conflict):
        campaign_transition(campaign=campaign, actor=cast.lead, status="cancelled")
    other = make_campaign(cast, code="WD-C")
    assert campaign_transition(campaign=other, actor=cast.lead, status="cancelled").status == "cancelled"
    assert AuditEntry.objects.filter(action="campaign.transition").count() == 5


@pytest.mark.parametrize(
    ("start", "target"), [("draft", "active"), ("planning", "draft"), ("active", "planning"), ("draft", "closed")]
)
def test_illegal_moves_are_conflicts(cast, start, target):
    campaign = make_campaign(cast)
    Campaign.objects.filter(pk=campaign.pk).update(status=start)
    campaign.refresh_from_db()
    with pytest.raises(Conflict):
        campaign_transition(campaign=campaign, actor=cast.lead, status=target)
    campaign.refresh_from_db()
    assert campaign.status == start


def test_unknown_status_is_a_field_error(cast):
    with pytest.raises(ApplicationError) as excinfo:
        campaign_transition(campaign=make_campaign(cast), actor=cast.lead, status="done")
    assert "status" in excinfo.value.errors


def test_campaign_from_the_festival_playbook(cast, festival):
    campaign = campaign_create_from_playbook(
        actor=cast.lead, team=cast.team, playbook=festival, code="F-1", name="Festival", start_date=START
    )
    definition = festival.definition
    assert campaign.end_date == START + dt.timedelta(days=festival.duration_days - 1)
    assert [p.name for p in Phase.objects.filter(campaign=campaign)] == [p["name"] for p in definition["phases"]]
    assert Phase.objects.get(campaign=campaign, order=1).start_date == START
    assert Milestone.objects.filter(campaign=campaign).count() == len(definition["milestones"])
    assert Task.objects.filter(campaign=campaign).count() == len(definition["tasks"])
    expected_edges = sum(len(t["depends_on"]) for t in definition["tasks"])
    assert TaskDependency.objects.filter(successor__campaign=campaign).count() == expected_edges
    launch = Task.objects.get(campaign=campaign, title__startswith="全渠道上線推廣")
    assert launch.start_date == START + dt.timedelta(days=20)
    assert launch.depends_on.count() == 3
    assert Kpi.objects.filter(campaign=campaign).count() == len(definition["kpis"])
    assert campaign.playbook == festival


def test_copy_shifts_every_date_by_the_same_amount(cast, festival):
    source = campaign_create_from_playbook(
        actor=cast.lead, team=cast.team, playbook=festival, code="F-1", name="F", start_date=START
    )
    Task.objects.filter(campaign=source).update(status="done", progress=100, owner=cast.member)
    Milestone.objects.filter(campaign=source).update(done=True)
    kpi = Kpi.objects.filter(campaign=source).first()
    kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, actual="5")
    new_start = dt.date(2028, 2, 9)
    shift = new_start - START
    copy = campaign_copy(actor=cast.lead, source=source, code="F-2", name="F again", start_date=new_start)
    assert copy.end_date == source.end_date + shift
    old = {t.title: t for t in Task.objects.filter(campaign=source)}
    for task in Task.objects.filter(campaign=copy):
        assert task.start_date == old[task.title].start_date + shift
        assert task.due_date == old[task.title].due_date + shift
        assert (task.status, task.progress) == ("todo", 0)
        assert task.owner == cast.member
    old_m = sorted(Milestone.objects.filter(campaign=source).values_list("due_date", flat=True))
    new_m = sorted(Milestone.objects.filter(campaign=copy).values_list("due_date", flat=True))
    assert new_m == [d + shift for d in old_m]
    assert not Milestone.objects.filter(campaign=copy, done=True).exists()
    assert (
        TaskDependency.objects.filter(successor__campaign=copy).count()
        == TaskDependency.objects.filter(successor__campaign=source).count()
    )
    assert not KpiReading.objects.filter(kpi__campaign=copy).exists()
    assert copy.copied_from == source


def test_save_as_playbook_round_trips_the_plan(cast, festival):
    source = campaign_create_from_playbook(
        actor=cast.lead, team=cast.team, playbook=festival, code="F-1", name="F", start_date=START
    )
    playbook = playbook_save_from_campaign(actor=cast.lead, campaign=source, code="my-festival", name="Mine")
    again = campaign_create_from_playbook(
        actor=cast.lead, team=cast.team, playbook=playbook, code="F-3", name="F3", start_date=START
    )
    assert Task.objects.filter(campaign=again).count() == Task.objects.filter(campaign=source).count()
    assert again.end_date == source.end_date
    assert playbook.definition["budget_categories"] == festival.definition["budget_categories"]
    with pytest.raises(ApplicationError):
        playbook_save_from_campaign(actor=cast.lead, campaign=source, code="my-festival", name="Again")


def _task(campaign, title, day_from, day_to, **kw):
    return task_save(
        campaign=campaign,
        actor=campaign.lead,
        title=title,
        start_date=START + dt.timedelta(days=day_from),
        due_date=START + dt.timedelta(days=day_to),
        **kw,
    )


def test_a_dependency_that_closes_a_cycle_is_refused_naming_it(cast):
    campaign = make_campaign(cast)
    a = _task(campaign, "Research", 0, 2)
    b = _task(campaign, "Design", 3, 5, depends_on=[a])
    c = _task(campaign, "Build", 6, 9, depends_on=[b])
    with pytest.raises(ApplicationError) as excinfo:
        task_add_dependency(task=a, predecessor=c, actor=cast.lead)
    message = excinfo.value.errors["depends_on"][0]
    assert "cycle" in message
    for title in ("Research", "Design", "Build"):
        assert f"“{title}”" in message
    assert not TaskDependency.objects.filter(successor=a).exists()
    with pytest.raises(ApplicationError):
        task_save(campaign=campaign, actor=cast.lead, task=a, depends_on=[c])
    with pytest.raises(ApplicationError):
        task_add_dependency(task=a, predecessor=a, actor=cast.lead)


def test_dependencies_stay_within_one_campaign(cast):
    one, two = make_campaign(cast, code="C-1"), make_campaign(cast, code="C-2")
    a, b = _task(one, "A", 0, 1), _task(two, "B", 0, 1)
    with pytest.raises(ApplicationError):
        task_add_dependency(task=a, predecessor=b, actor=cast.lead)


def test_task_rules(cast):
    campaign = make_campaign(cast)
    with pytest.raises(ApplicationError) as excinfo:
        _task(campaign, "Backwards", 5, 2)
    assert "due_date" in excinfo.value.errors
    with pytest.raises(ApplicationError) as excinfo:
        _task(campaign, "Too far", 0, 1, progress=101)
    assert "progress" in excinfo.value.errors
    with pytest.raises(ApplicationError) as excinfo:
        _task(campaign, "Owned by a viewer", 0, 1, owner=cast.viewer)
    assert "owner" in excinfo.value.errors
    done = _task(campaign, "Done", 0, 1, status="done", progress=10)
    assert done.progress == 100
    assert Task.objects.count() == 1


def test_kpi_readings_upsert_by_date(cast):
    campaign = make_campaign(cast)
    kpi = Kpi.objects.create(campaign=campaign, name="NPS", kind="nps", target=Decimal(68))
    kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, forecast="60")
    reading = kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, actual="58.5")
    assert (reading.actual, reading.forecast) == (Decimal("58.5"), Decimal("60"))
    assert KpiReading.objects.count() == 1
    for bad in ({"actual": "lots"}, {"actual": "NaN"}, {}):
        with pytest.raises(ApplicationError):
            kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, **bad)


# --- Every plan write behind a service, audited (issue 14 step 3) -------------------------------------------------


def _entries(obj) -> list[tuple[str, dict | None, dict | None]]:
    rows = AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    return [(e.action, e.before, e.after) for e in rows]


def test_phase_and_milestone_writes_and_deletes_are_audited_with_the_changed_fields(cast):
    from campaigns.services import milestone_delete, milestone_save, phase_delete, phase_save

    campaign = make_campaign(cast)
    phase = phase_save(campaign=campaign, actor=cast.lead, name="準備期", order=1, start_date=START,
                       end_date=START + dt.timedelta(days=9))  # fmt: skip
    phase_save(campaign=campaign, actor=cast.deputy, phase=phase, name="準備期 Preparation")
    milestone = milestone_save(campaign=campaign, actor=cast.lead, phase=phase, name="M1", due_date=START)
    milestone_save(campaign=campaign, actor=cast.lead, milestone=milestone, done=True)
    phase_pk, milestone_pk = phase.pk, milestone.pk
    assert [a for a, *_ in _entries(phase)] == ["phase.created", "phase.updated"]
    assert _entries(phase)[1][1:] == ({"name": "準備期"}, {"name": "準備期 Preparation"})
    assert AuditEntry.objects.filter(action="phase.updated", actor_id=cast.deputy.pk).exists()
    updated = _entries(milestone)[1]
    assert updated[0] == "milestone.updated" and updated[2]["done"] is True and updated[1] == {"done": False,
                                                                                           "done_on": None}  # fmt: skip
    milestone_delete(milestone=milestone, actor=cast.lead)
    phase_delete(phase=phase, actor=cast.lead)
    assert not Phase.objects.filter(pk=phase_pk).exists() and not Milestone.objects.filter(pk=milestone_pk).exists()
    deleted = {e.action: e.before for e in AuditEntry.objects.filter(action__endswith=".deleted")}
    assert deleted["phase.deleted"]["name"] == "準備期 Preparation"
    assert deleted["milestone.deleted"]["name"] == "M1"


def test_task_delete_and_dependency_removal_are_audited(cast):
    from campaigns.services import task_delete, task_remove_dependency

    campaign = make_campaign(cast)
    first = task_save(campaign=campaign, actor=cast.lead, title="A", start_date=START, due_date=START)
    second = task_save(campaign=campaign, actor=cast.lead, title="B", start_date=START, due_date=START)
    task_add_dependency(task=second, predecessor=first, actor=cast.lead)
    assert task_remove_dependency(task=second, predecessor_id=first.pk, actor=cast.lead) == 1
    assert task_remove_dependency(task=second, predecessor_id=first.pk, actor=cast.lead) == 0  # nothing to record
    recorded = [(a, b) for a, b, _after in _entries(second)]
    assert recorded[0] == ("task.created", None)  # since issue 16 every task write is recorded too
    assert recorded[-1] == ("task.dependency_removed", {"predecessor": first.pk})
    assert [a for a, _b in recorded].count("task.dependency_removed") == 1
    task_delete(task=first, actor=cast.deputy)
    entry = AuditEntry.objects.get(action="task.deleted")
    assert entry.actor_id == cast.deputy.pk and entry.before["title"] == "A"


@pytest.mark.parametrize("kind", ["kpi", "channel"])
def test_kpi_and_channel_writes_are_audited_and_the_name_is_unique_ignoring_case(cast, kind):
    from campaigns import services

    campaign = make_campaign(cast)
    save, delete = getattr(services, f"{kind}_save"), getattr(services, f"{kind}_delete")
    fields = {"name": "會員轉化率", "target": Decimal("25")} if kind == "kpi" else {"name": "短信 SMS", "type": "sms"}
    row = save(campaign=campaign, actor=cast.lead, **fields)
    save(campaign=campaign, actor=cast.lead, **{kind: row}, name=f" {fields['name']} v2 ")
    row.refresh_from_db()
    assert row.name == f"{fields['name']} v2"  # trimmed
    with pytest.raises(ApplicationError) as refused:
        save(campaign=campaign, actor=cast.lead, **{**fields, "name": row.name.upper()})
    assert "name" in refused.value.errors
    other = make_campaign(cast, code="WD-U")
    save(campaign=other, actor=cast.lead, **{**fields, "name": row.name})  # another campaign may use it
    row_pk = row.pk
    delete(**{kind: row}, actor=cast.lead)
    actions = list(
        AuditEntry.objects.filter(object_id=str(row_pk), action__startswith=f"{kind}.").values_list("action", "before")
    )
    assert [a for a, _b in actions] == [f"{kind}.created", f"{kind}.updated", f"{kind}.deleted"]
    assert actions[1][1] == {"name": fields["name"]}


def test_a_reading_of_a_standard_kpi_may_give_its_inputs_instead_of_its_value(cast):
    from campaigns.services import kpi_save

    campaign = make_campaign(cast)
    kpi = kpi_save(campaign=campaign, actor=cast.lead, name="轉化率", kind="conversion_rate", unit="%", target=25)
    reading = kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, inputs={"converted": "186", "reached": 1000})
    assert reading.actual == Decimal("18.6")
    for inputs, field in (
        ({"converted": 1, "reached": 0}, "reached"),
        ({"converted": 1}, "reached"),
        ({"converted": "1.5", "reached": 10}, "converted"),
        ({"converted": 1, "reached": 10, "spend": 5}, "inputs"),
    ):
        with pytest.raises(ApplicationError) as refused:
            kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, inputs=inputs)
        assert field in refused.value.errors, inputs
    with pytest.raises(ApplicationError) as both:
        kpi_record_reading(kpi=kpi, actor=cast.lead, date=START, actual=10, inputs={"converted": 1, "reached": 2})
    assert "actual" in both.value.errors
    plain = kpi_save(campaign=campaign, actor=cast.lead, name="人數", kind="count", target=100)
    with pytest.raises(ApplicationError) as no_formula:
        kpi_record_reading(kpi=plain, actor=cast.lead, date=START, inputs={"converted": 1})
    assert "inputs" in no_formula.value.errors
    assert KpiReading.objects.filter(kpi=kpi).get().actual == Decimal("18.6")  # nothing refused was saved
