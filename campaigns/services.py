"""Writes to campaigns and their plans. Each service enforces its rule and runs in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotAllowed
from core.roles import TeamRole
from core.services.audit import audit_record
from core.validators import MAX_DATE, MIN_DATE, date_in_bounds, normalize_code, shift_date, validate_code
from teams.models import Department, Team, TeamMembership, User

from .health import health_invalidate
from .models import (
    Campaign,
    CampaignStatus,
    Channel,
    Kpi,
    KpiReading,
    Milestone,
    Phase,
    Playbook,
    Task,
    TaskDependency,
    TaskStatus,
)
from .permissions import can_create_campaign_in
from .rules import KPI_COUNT_INPUTS, kpi_inputs, kpi_value_from_inputs
from .schedule import CycleError, topological_order

DAY = dt.timedelta(days=1)


# --- Campaigns ------------------------------------------------------------------------


def _check_dates(start: dt.date, end: dt.date, *, start_field: str = "start_date", end_field: str = "end_date") -> None:
    for field, value in ((start_field, start), (end_field, end)):
        if not date_in_bounds(value):
            raise ApplicationError(errors={field: _out_of_bounds_message()})
    if end < start:
        raise ApplicationError(errors={end_field: _("The end date must not be before the start date.")})


def _out_of_bounds_message() -> str:
    return _("Enter a date between %(min)s and %(max)s.") % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}


def _check_plan_fits(definition: dict[str, Any], start: dt.date, *, field: str = "start_date") -> None:
    """Every date a plan definition gives, counted from ``start``, stays within SPEC 10.1's bounds (checked on
    day numbers, so a start near the end of the calendar cannot overflow)."""
    offsets = [0]
    for key in ("phases", "tasks"):
        for item in definition.get(key, []):
            offsets += [item["offset"], item["offset"] + max(item.get("duration", 1), 1) - 1]
    offsets += [m["offset"] for m in definition.get("milestones", [])]
    first, last = start.toordinal() + min(offsets), start.toordinal() + max(offsets)
    if first < MIN_DATE.toordinal() or last > MAX_DATE.toordinal():
        raise ApplicationError(
            errors={
                field: _("The plan would run outside %(min)s to %(max)s from this start date.")
                % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
            }
        )


def _check_lead(team: Team, lead: User) -> None:
    role = TeamMembership.objects.filter(team=team, user=lead).values_list("role", flat=True).first()
    if role not in (TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER):
        raise ApplicationError(errors={"lead": _("The campaign lead must be a lead, deputy or member of its team.")})


def _clean_code(code: str) -> str:
    """NFKC first (``ＷＤ－２０２７`` is ``WD-2027``), then the code rule: for callers that bypass the forms and
    serializers (which share the same rule through core.validators)."""
    code = normalize_code(code)
    try:
        validate_code(code)
    except DjangoValidationError as exc:
        raise ApplicationError(errors={"code": exc.messages}) from None
    return code


def _check_code_free(code: str, *, exclude: int | None = None) -> None:
    qs = Campaign.objects.filter(code__iexact=code)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise ApplicationError(errors={"code": _code_taken_message(code)})


def _code_taken_message(code: str) -> str:
    return _("A campaign with the code %(code)s exists already.") % {"code": code}


@contextmanager
def _unique_code(model: type[Campaign] | type[Playbook], code: str, message: str) -> Iterator[None]:
    """Let the unique index decide a race the "is it free?" check cannot: two creates of one code at the same
    moment both pass the check, and the loser's INSERT fails. That loser gets a 400 on ``code``, not a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        if model.objects.filter(code=code).exists():
            raise ApplicationError(errors={"code": message}) from None
        raise


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "code": campaign.code,
        "name": campaign.name,
        "status": campaign.status,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "lead": campaign.lead_id,
    }


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    team: Team,
    code: str,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    objective: str = "",
    lead: User | None = None,
    departments: Iterable[Department] = (),
    time_zone: str = "Asia/Shanghai",
    playbook: Playbook | None = None,
) -> Campaign:
    """Create a ``draft`` campaign. Needs the lead or deputy role in ``team``; the lead defaults to the actor."""
    if not can_create_campaign_in(actor, team.pk):
        raise NotAllowed(_("Only a lead or deputy of the team can create its campaigns."))
    if team.parent_id:
        raise ApplicationError(errors={"team": _("Choose the task force, not one of its functional groups.")})
    lead = lead or actor
    _check_lead(team, lead)
    _check_dates(start_date, end_date)
    code = _clean_code(code)
    _check_code_free(code)
    with _unique_code(Campaign, code, _code_taken_message(code)):
        campaign = Campaign.objects.create(
            code=code,
            name=name,
            objective=objective,
            team=team,
            lead=lead,
            start_date=start_date,
            end_date=end_date,
            time_zone=time_zone,
            playbook=playbook,
        )
    if departments:
        campaign.departments.set(departments)
    audit_record(actor=actor, action="campaign.created", obj=campaign, after=_snapshot(campaign))
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: User, **changes: Any) -> Campaign:
    """Change a campaign's header (name, objective, dates, lead, departments). Closed campaigns are frozen."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.CANCELLED):
        raise Conflict(_("A closed or cancelled campaign cannot be changed."))
    before = _snapshot(campaign)
    departments = changes.pop("departments", None)
    if "code" in changes:
        changes["code"] = _clean_code(changes["code"])
    if "code" in changes and changes["code"] != campaign.code:
        _check_code_free(changes["code"], exclude=campaign.pk)
    if "lead" in changes and changes["lead"] != campaign.lead:
        _check_lead(campaign.team, changes["lead"])
    for field, value in changes.items():
        setattr(campaign, field, value)
    _check_dates(campaign.start_date, campaign.end_date)
    with _unique_code(Campaign, campaign.code, _code_taken_message(campaign.code)):
        campaign.save()
    if departments is not None:
        campaign.departments.set(departments)
    health_invalidate([campaign.pk])  # dates and the time zone decide health
    audit_record(actor=actor, action="campaign.updated", obj=campaign, before=before, after=_snapshot(campaign))
    return campaign


@transaction.atomic
def campaign_transition(*, campaign: Campaign, actor: User, status: str) -> Campaign:
    """Move along draft → planning → active → closing → closed, or cancel before closed; anything else → 409."""
    if status not in CampaignStatus.values:
        raise ApplicationError(errors={"status": _("Unknown status %(status)s.") % {"status": status}})
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.can_move_to(status):
        raise Conflict(
            _("A campaign cannot move from %(current)s to %(target)s.")
            % {"current": CampaignStatus(campaign.status).label, "target": CampaignStatus(status).label}
        )
    before = campaign.status
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="campaign.transition", obj=campaign, before={"status": before}, after={"status": status}
    )
    return campaign


# --- Playbooks, copies --------------------------------------------------------------------


def _departments_by_code() -> dict[str, Department]:
    return {d.code: d for d in Department.objects.all()}


def _build_plan(*, campaign: Campaign, definition: dict[str, Any], start: dt.date) -> None:
    """Create phases, milestones, tasks (with dependencies), KPIs and channels from a definition (set-wise)."""
    departments = _departments_by_code()
    phases = {
        p["key"]: Phase(
            campaign=campaign,
            name=p["name"],
            order=i,
            start_date=start + p["offset"] * DAY,
            end_date=start + (p["offset"] + p["duration"] - 1) * DAY,
        )
        for i, p in enumerate(definition.get("phases", []), start=1)
    }
    # PostgreSQL and SQLite (3.35+) both return primary keys from bulk_create, so the objects are usable below.
    Phase.objects.bulk_create(phases.values())
    Milestone.objects.bulk_create(
        Milestone(
            campaign=campaign,
            phase=phases[m["phase"]],
            name=m["name"],
            due_date=start + m["offset"] * DAY,
            deliverable=m.get("deliverable", ""),
        )
        for m in definition.get("milestones", [])
    )
    tasks = {
        t["key"]: Task(
            campaign=campaign,
            phase=phases.get(t.get("phase")),
            title=t["title"],
            department=departments.get(t.get("department") or ""),
            start_date=start + t["offset"] * DAY,
            due_date=start + (t["offset"] + t["duration"] - 1) * DAY,
        )
        for t in definition.get("tasks", [])
    }
    Task.objects.bulk_create(tasks.values())
    TaskDependency.objects.bulk_create(
        TaskDependency(predecessor=tasks[pred], successor=tasks[t["key"]])
        for t in definition.get("tasks", [])
        for pred in t.get("depends_on", [])
    )
    Kpi.objects.bulk_create(
        Kpi(
            campaign=campaign,
            name=k["name"],
            kind=k.get("kind", "other"),
            unit=k.get("unit", ""),
            direction=k.get("direction", "higher"),
            baseline=Decimal(k["baseline"]) if k.get("baseline") not in (None, "") else None,
            target=Decimal(k["target"]),
        )
        for k in definition.get("kpis", [])
    )
    Channel.objects.bulk_create(
        Channel(
            campaign=campaign,
            type=c["type"],
            name=c["name"],
            reach_target=c.get("reach_target"),
            conversion_target=Decimal(c["conversion_target"]) if c.get("conversion_target") not in (None, "") else None,
        )
        for c in definition.get("channels", [])
    )


@transaction.atomic
def campaign_create_from_playbook(
    *,
    actor: User,
    team: Team,
    playbook: Playbook,
    code: str,
    name: str,
    start_date: dt.date,
    objective: str = "",
    lead: User | None = None,
) -> Campaign:
    """A new draft campaign with the playbook's phases, milestones, tasks, dependencies, KPIs and channels,
    dated from ``start_date``."""
    _check_plan_fits(playbook.definition, start_date)
    end_date = start_date + (playbook.duration_days - 1) * DAY
    campaign = campaign_create(
        actor=actor,
        team=team,
        code=code,
        name=name,
        objective=objective or playbook.description,
        start_date=start_date,
        end_date=end_date,
        lead=lead,
        playbook=playbook,
    )
    _build_plan(campaign=campaign, definition=playbook.definition, start=start_date)
    return campaign


def campaign_definition(campaign: Campaign) -> dict[str, Any]:
    """A campaign's plan as a playbook definition, offsets counted from its start date."""
    start = campaign.start_date
    phase_keys = {}
    phases = []
    for p in Phase.objects.filter(campaign=campaign):
        phase_keys[p.pk] = f"phase-{p.pk}"
        phases.append(
            {
                "key": phase_keys[p.pk],
                "name": p.name,
                "offset": (p.start_date - start).days,
                "duration": (p.end_date - p.start_date).days + 1,
            }
        )
    milestones = [
        {
            "phase": phase_keys[m.phase_id],
            "name": m.name,
            "offset": (m.due_date - start).days,
            "deliverable": m.deliverable,
        }
        for m in Milestone.objects.filter(campaign=campaign)
    ]
    deps: dict[int, list[str]] = {}
    for pred, succ in TaskDependency.objects.filter(successor__campaign=campaign).values_list(
        "predecessor_id", "successor_id"
    ):
        deps.setdefault(succ, []).append(f"task-{pred}")
    tasks = [
        {
            "key": f"task-{t.pk}",
            "phase": phase_keys.get(t.phase_id),
            "title": t.title,
            "offset": (t.start_date - start).days,
            "duration": t.duration_days,
            "department": t.department.code if t.department else None,
            "depends_on": deps.get(t.pk, []),
        }
        for t in Task.objects.filter(campaign=campaign).select_related("department")
    ]
    kpis = [
        {
            "name": k.name,
            "kind": k.kind,
            "unit": k.unit,
            "direction": k.direction,
            "baseline": str(k.baseline) if k.baseline is not None else None,
            "target": str(k.target),
        }
        for k in Kpi.objects.filter(campaign=campaign)
    ]
    channels = [
        {
            "type": c.type,
            "name": c.name,
            "reach_target": c.reach_target,
            "conversion_target": str(c.conversion_target) if c.conversion_target is not None else None,
        }
        for c in Channel.objects.filter(campaign=campaign)
    ]
    source = campaign.playbook.definition if campaign.playbook else {}
    return {
        "phases": phases,
        "milestones": milestones,
        "tasks": tasks,
        "kpis": kpis,
        "channels": channels,
        "budget_categories": source.get("budget_categories", []),
        "risk_checklist": source.get("risk_checklist", []),
    }


@transaction.atomic
def campaign_copy(
    *, actor: User, source: Campaign, code: str, name: str, start_date: dt.date, team: Team | None = None
) -> Campaign:
    """A new draft campaign with the source's whole plan, every date shifted by the same number of days.
    Milestones start not done, tasks at "to do" with no progress; KPI readings are not copied."""
    definition = campaign_definition(source)
    _check_plan_fits(definition, start_date)
    if not date_in_bounds(shift_date(source.end_date, start_date - source.start_date)):
        raise ApplicationError(errors={"start_date": _out_of_bounds_message()})
    shift = start_date - source.start_date
    campaign = campaign_create(
        actor=actor,
        team=team or source.team,
        code=code,
        name=name,
        objective=source.objective,
        start_date=start_date,
        end_date=source.end_date + shift,
        lead=actor if team and team != source.team else (source.lead if source.lead_id else None),
        departments=list(source.departments.all()),
        time_zone=source.time_zone,
        playbook=source.playbook,
    )
    campaign.copied_from = source
    campaign.save(update_fields=["copied_from"])
    _build_plan(campaign=campaign, definition=definition, start=start_date)
    # Owners carry over where the same people are still around: leads, deputies or members of the new team.
    owners = dict(Task.objects.filter(campaign=source).values_list("title", "owner_id"))
    eligible = set(User.objects.filter(campaign_members(campaign)).values_list("pk", flat=True))
    copies = list(Task.objects.filter(campaign=campaign))
    for task in copies:
        owner_id = owners.get(task.title)
        task.owner_id = owner_id if owner_id in eligible else None
    Task.objects.bulk_update(copies, ["owner"])
    audit_record(
        actor=actor,
        action="campaign.copied",
        obj=campaign,
        before={"source": source.code},
        after={"shift_days": shift.days},
    )
    return campaign


@transaction.atomic
def playbook_save_from_campaign(
    *, actor: User, campaign: Campaign, code: str, name: str, description: str = ""
) -> Playbook:
    """Save a campaign's plan as a new playbook that the campaign's team can start from."""
    taken = _("A playbook with the code %(code)s exists already.") % {"code": code}
    if Playbook.objects.filter(code=code).exists():
        raise ApplicationError(errors={"code": taken})
    with _unique_code(Playbook, code, taken):
        playbook = Playbook.objects.create(
            code=code,
            name=name,
            description=description,
            definition=campaign_definition(campaign),
            created_by=actor,
            team_id=campaign.team_id,
        )
    audit_record(actor=actor, action="playbook.saved", obj=playbook, after={"from_campaign": campaign.code})
    return playbook


def playbooks_sync_builtin() -> None:
    """Create or refresh the built-in playbooks (idempotent; run by a migration and by seed_demo)."""
    from .playbooks import BUILTIN_PLAYBOOKS

    for item in BUILTIN_PLAYBOOKS:
        Playbook.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "description": item["description"],
                "definition": item["definition"],
                "builtin": True,
            },
        )


# --- Phases and milestones -----------------------------------------------------------


def _check_phase_of(campaign: Campaign, phase: Phase | None, field: str = "phase") -> None:
    if phase is not None and phase.campaign_id != campaign.pk:
        raise ApplicationError(errors={field: _("This phase belongs to another campaign.")})


def _values(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of a row as the audit ledger keeps them (foreign keys as ids)."""
    return {name: getattr(obj, f"{name}_id" if name in ("phase", "owner", "department") else name) for name in names}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value changed, before and after."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _delete(obj: Any) -> None:
    """Delete a row, or 409 while other records still refer to it."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError):
        raise Conflict(_("Other records still refer to this, so it cannot be deleted.")) from None


PHASE_FIELDS = ("name", "order", "start_date", "end_date")
TASK_FIELDS = ("title", "phase", "owner", "start_date", "due_date", "status", "progress", "description")
MILESTONE_FIELDS = ("phase", "name", "due_date", "deliverable", "done", "done_on")


@transaction.atomic
def phase_save(*, campaign: Campaign, actor: User, phase: Phase | None = None, **fields: Any) -> Phase:
    """Create or change a phase of the campaign (dates within bounds, end not before start); audited."""
    created = phase is None
    phase = phase or Phase(campaign=campaign)
    before = {} if created else _values(phase, PHASE_FIELDS)
    for key, value in fields.items():
        setattr(phase, key, value)
    _check_dates(phase.start_date, phase.end_date)
    phase.save()
    health_invalidate([campaign.pk])
    old, new = _changed(before, _values(phase, PHASE_FIELDS))
    audit_record(actor=actor, action="phase.created" if created else "phase.updated", obj=phase, before=old or None,
                 after=new)  # fmt: skip
    return phase


@transaction.atomic
def phase_delete(*, phase: Phase, actor: User) -> None:
    """Delete a phase (its milestones go with it; its tasks lose their phase); audited."""
    audit_record(actor=actor, action="phase.deleted", obj=phase, before=_values(phase, PHASE_FIELDS))
    _delete(phase)
    health_invalidate([phase.campaign_id])


@transaction.atomic
def milestone_save(*, campaign: Campaign, actor: User, milestone: Milestone | None = None, **fields: Any) -> Milestone:
    """Create or change a milestone of one of the campaign's phases (done stamps today's date); audited."""
    created = milestone is None
    milestone = milestone or Milestone(campaign=campaign)
    before = {} if created else _values(milestone, MILESTONE_FIELDS)
    for key, value in fields.items():
        setattr(milestone, key, value)
    _check_phase_of(campaign, milestone.phase)
    if milestone.done and milestone.done_on is None:
        from .selectors import campaign_today

        milestone.done_on = campaign_today(campaign)
    if not milestone.done:
        milestone.done_on = None
    milestone.save()
    health_invalidate([campaign.pk])
    old, new = _changed(before, _values(milestone, MILESTONE_FIELDS))
    audit_record(actor=actor, action="milestone.created" if created else "milestone.updated", obj=milestone,
                 before=old or None, after=new)  # fmt: skip
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor: User) -> None:
    """Delete a milestone; audited."""
    audit_record(actor=actor, action="milestone.deleted", obj=milestone, before=_values(milestone, MILESTONE_FIELDS))
    _delete(milestone)
    health_invalidate([milestone.campaign_id])


# --- Tasks and dependencies ----------------------------------------------------------------


def _cycle_message(cycle: Sequence[int], titles: dict[int, str]) -> str:
    path = " → ".join(f"“{titles.get(t, t)}”" for t in cycle)
    return _("These dependencies would form a cycle: %(path)s.") % {"path": path}


def _check_no_cycle(campaign: Campaign, *, task: Task, predecessors: Sequence[Task]) -> None:
    rows = list(Task.objects.filter(campaign=campaign).values_list("pk", "title"))
    titles = dict(rows)
    edges = [
        e
        for e in TaskDependency.objects.filter(successor__campaign=campaign).values_list(
            "predecessor_id", "successor_id"
        )
        if e[1] != task.pk
    ]
    edges += [(p.pk, task.pk) for p in predecessors]
    try:
        topological_order([pk for pk, _title in rows], edges)
    except CycleError as exc:
        raise ApplicationError(errors={"depends_on": _cycle_message(exc.cycle, titles)}) from None


def _validate_predecessors(campaign: Campaign, task: Task, predecessors: Sequence[Task]) -> None:
    for p in predecessors:
        if p.campaign_id != campaign.pk:
            raise ApplicationError(errors={"depends_on": _("A task can only depend on tasks of the same campaign.")})
        if task.pk and p.pk == task.pk:
            raise ApplicationError(errors={"depends_on": _("A task cannot depend on itself.")})


@transaction.atomic
def task_save(
    *,
    campaign: Campaign,
    actor: User,
    task: Task | None = None,
    depends_on: Sequence[Task] | None = None,
    **fields: Any,
) -> Task:
    """Create or change a task; ``depends_on`` replaces its predecessors and is refused if it makes a cycle.
    Audited with the fields that changed (SPEC 10.3 activity)."""
    # Serialise plan edits of one campaign, so two concurrent dependency changes cannot make a cycle together.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    created = task is None
    task = task or Task(campaign=campaign)
    before = {} if created else _values(task, TASK_FIELDS)
    if not created and depends_on is not None:
        before["depends_on"] = sorted(
            TaskDependency.objects.filter(successor=task).values_list("predecessor_id", flat=True)
        )
    for key, value in fields.items():
        setattr(task, key, value)
    _check_phase_of(campaign, task.phase)
    if "owner" in fields:
        check_task_owner(campaign, fields["owner"])
    _check_dates(task.start_date, task.due_date, end_field="due_date")
    if not 0 <= int(task.progress) <= 100:
        raise ApplicationError(errors={"progress": _("Progress is a percentage from 0 to 100.")})
    if task.status == TaskStatus.DONE:
        task.progress = 100
    if depends_on is not None:
        _validate_predecessors(campaign, task, depends_on)
        if task.pk:
            _check_no_cycle(campaign, task=task, predecessors=depends_on)
    task.save()
    if depends_on is not None:
        TaskDependency.objects.filter(successor=task).exclude(predecessor__in=depends_on).delete()
        existing = set(TaskDependency.objects.filter(successor=task).values_list("predecessor_id", flat=True))
        TaskDependency.objects.bulk_create(
            (TaskDependency(predecessor=p, successor=task) for p in depends_on if p.pk not in existing),
            ignore_conflicts=True,  # a concurrent save of the same task may have added the pair already
        )
    health_invalidate([campaign.pk])
    after = _values(task, TASK_FIELDS)
    if depends_on is not None:
        after["depends_on"] = sorted(p.pk for p in depends_on)
    old, new = _changed(before, after)
    if created or new:
        audit_record(actor=actor, action="task.created" if created else "task.updated", obj=task,
                     before=None if created else old, after=new)  # fmt: skip
    return task


@transaction.atomic
def task_move(*, task: Task, actor: User, start_date: dt.date, due_date: dt.date) -> Task:
    """Move or resize a task on the timeline: new planned dates, through :func:`task_save` (bounds, end not before
    start). A task cannot be moved to start before a task it waits for is scheduled to finish: the bar would not
    stay where it was dropped, so the move is refused and says from which day it can start."""
    campaign = task.campaign
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    predecessors = list(Task.objects.filter(successor_links__successor=task).values_list("pk", "title"))
    if predecessors:
        from .selectors import campaign_schedule

        times = campaign_schedule(campaign=campaign).by_task()
        pk, title = max(predecessors, key=lambda p: times[p[0]].earliest_finish)
        finish = times[pk].earliest_finish
        if start_date <= finish:
            raise ApplicationError(
                errors={
                    "start_date": _(
                        "“%(task)s” waits for “%(predecessor)s”, which is scheduled to finish on %(finish)s: it can "
                        "start on %(first)s at the earliest."
                    )
                    % {
                        "task": task.title,
                        "predecessor": title,
                        "finish": date_format(finish, "DATE_FORMAT"),
                        "first": date_format(finish + DAY, "DATE_FORMAT"),
                    }
                }
            )
    return task_save(campaign=campaign, actor=actor, task=task, start_date=start_date, due_date=due_date)


@transaction.atomic
def task_add_dependency(*, task: Task, predecessor: Task, actor: User) -> TaskDependency:
    """Make ``task`` wait for ``predecessor`` (finish-to-start); refused when it would close a cycle."""
    campaign = task.campaign
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    _validate_predecessors(campaign, task, [predecessor])
    current = list(Task.objects.filter(successor_links__successor=task).exclude(pk=predecessor.pk))
    _check_no_cycle(campaign, task=task, predecessors=[*current, predecessor])
    health_invalidate([campaign.pk])
    try:
        with transaction.atomic():
            return TaskDependency.objects.create(predecessor=predecessor, successor=task)
    except IntegrityError:
        return TaskDependency.objects.get(predecessor=predecessor, successor=task)


@transaction.atomic
def task_remove_dependency(*, task: Task, predecessor_id: int, actor: User) -> int:
    """Stop ``task`` waiting for the given predecessor; audited when there was such a dependency."""
    deleted, _details = TaskDependency.objects.filter(successor=task, predecessor_id=predecessor_id).delete()
    if deleted:
        health_invalidate([task.campaign_id])
        audit_record(actor=actor, action="task.dependency_removed", obj=task, before={"predecessor": predecessor_id})
    return deleted


@transaction.atomic
def task_delete(*, task: Task, actor: User) -> None:
    """Delete a task with its dependencies; audited with what it was."""
    audit_record(actor=actor, action="task.deleted", obj=task,
                 before={"title": task.title, "start_date": task.start_date, "due_date": task.due_date})  # fmt: skip
    _delete(task)
    health_invalidate([task.campaign_id])


# --- Channels and KPIs ---------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(errors={field: _("Enter a number.")}) from None
    if not result.is_finite():
        raise ApplicationError(errors={field: _("Enter a number.")})
    return result


def _actual_from_inputs(kpi: Kpi, inputs: dict[str, Any]) -> Decimal:
    """The actual value of a computed KPI from the inputs a reading gave (SPEC 3's standard formulas)."""
    names = kpi_inputs(kpi.kind)
    if not names:
        raise ApplicationError(errors={"inputs": _("This KPI's kind has no formula; give its actual value.")})
    if set(inputs) - set(names):
        raise ApplicationError(
            errors={"inputs": _("This kind takes these inputs: %(names)s.") % {"names": ", ".join(names)}}
        )
    values: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for name in names:
        value = _decimal(inputs.get(name), name)
        if value is None:
            errors[name] = _("Give this input too.")
        elif value < 0 or (name in KPI_COUNT_INPUTS and value != value.to_integral_value()):
            errors[name] = (
                _("Enter a whole number, zero or more.")
                if name in KPI_COUNT_INPUTS
                else _("Enter an amount, zero or more.")
            )
        else:
            values[name] = value
    if errors:
        raise ApplicationError(errors=errors)
    actual = kpi_value_from_inputs(kpi.kind, values)
    if actual is None:
        raise ApplicationError(errors={names[-1]: _("This cannot be zero: the formula divides by it.")})
    return actual.quantize(Decimal("0.0001"))


@transaction.atomic
def kpi_record_reading(
    *, kpi: Kpi, actor: User, date: dt.date, actual: Any = None, forecast: Any = None,
    inputs: dict[str, Any] | None = None,
) -> KpiReading:  # fmt: skip
    """Record the actual and/or forecast of a KPI for a date (one reading per date: a second write updates it).
    For a standard kind (conversion rate, CAC, ROI, ARPU, member conversion, redemption rate, NPS) ``inputs``
    may replace ``actual``: the actual value is computed from them by the kind's formula (campaigns.rules)."""
    actual, forecast = _decimal(actual, "actual"), _decimal(forecast, "forecast")
    inputs = {k: v for k, v in (inputs or {}).items() if v not in (None, "")}
    if inputs:
        if actual is not None:
            raise ApplicationError(errors={"actual": _("Give the actual value or its inputs, not both.")})
        actual = _actual_from_inputs(kpi, inputs)
    if actual is None and forecast is None:
        raise ApplicationError(errors={"actual": _("Give an actual value, a forecast, or both.")})
    reading, created = KpiReading.objects.select_for_update().get_or_create(
        kpi=kpi, date=date, defaults={"actual": actual, "forecast": forecast, "recorded_by": actor}
    )
    if not created:
        if actual is not None:
            reading.actual = actual
        if forecast is not None:
            reading.forecast = forecast
        reading.recorded_by = actor
        reading.save()
    health_invalidate([kpi.campaign_id])  # a KPI off forecast makes its campaign yellow
    return reading


KPI_FIELDS = ("name", "kind", "unit", "direction", "baseline", "target")
CHANNEL_FIELDS = ("type", "name", "reach_target", "conversion_target", "note")


def _name_taken_message(model: type) -> str:
    if model is Kpi:
        return _("This campaign has a KPI with this name already.")
    return _("This campaign has a channel with this name already.")


def _save_named(row: Kpi | Channel) -> None:
    """Save a KPI or channel whose name is unique within its campaign (ignoring case). Checked first for a clear
    message; the database constraint has the last word, so of two racing writes the loser gets the same field
    error instead of a 500."""
    row.name = (row.name or "").strip()
    if not row.name:
        raise ApplicationError(errors={"name": _("Give it a name.")})
    others = type(row).objects.filter(campaign_id=row.campaign_id, name__iexact=row.name)
    if row.pk:
        others = others.exclude(pk=row.pk)
    if others.exists():
        raise ApplicationError(errors={"name": _name_taken_message(type(row))})
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ApplicationError(errors={"name": _name_taken_message(type(row))}) from None


def _save_part(model: type, names: tuple[str, ...], label: str, *, campaign: Campaign, actor: User, row: Any,
               fields: dict[str, Any]) -> Any:  # fmt: skip
    created = row is None
    row = row or model(campaign=campaign)
    before = {} if created else _values(row, names)
    for key, value in fields.items():
        setattr(row, key, value)
    _save_named(row)
    old, new = _changed(before, _values(row, names))
    audit_record(actor=actor, action=f"{label}.created" if created else f"{label}.updated", obj=row,
                 before=old or None, after=new)  # fmt: skip
    return row


@transaction.atomic
def kpi_save(*, campaign: Campaign, actor: User, kpi: Kpi | None = None, **fields: Any) -> Kpi:
    """Create or change a KPI of the campaign (name unique within it, ignoring case); audited."""
    return _save_part(Kpi, KPI_FIELDS, "kpi", campaign=campaign, actor=actor, row=kpi, fields=fields)


@transaction.atomic
def kpi_delete(*, kpi: Kpi, actor: User) -> None:
    """Delete a KPI with its readings; audited."""
    audit_record(actor=actor, action="kpi.deleted", obj=kpi, before=_values(kpi, KPI_FIELDS))
    _delete(kpi)
    health_invalidate([kpi.campaign_id])


@transaction.atomic
def channel_save(*, campaign: Campaign, actor: User, channel: Channel | None = None, **fields: Any) -> Channel:
    """Create or change a reach channel of the campaign (name unique within it, ignoring case); audited."""
    return _save_part(Channel, CHANNEL_FIELDS, "channel", campaign=campaign, actor=actor, row=channel, fields=fields)


@transaction.atomic
def channel_delete(*, channel: Channel, actor: User) -> None:
    """Delete a channel (budget lines that named it keep their amounts, without a channel); audited."""
    audit_record(actor=actor, action="channel.deleted", obj=channel, before=_values(channel, CHANNEL_FIELDS))
    _delete(channel)


def campaign_members(campaign: Campaign) -> Q:
    """Users who may own tasks of the campaign: its team's leads, deputies and members."""
    return Q(
        memberships__team_id=campaign.team_id,
        memberships__role__in=[TeamRole.LEAD, TeamRole.DEPUTY, TeamRole.MEMBER],
    )


def check_task_owner(campaign: Campaign, owner: User | None) -> None:
    """Refuse an owner who is not a lead, deputy or member of the campaign's team."""
    if owner is not None and not User.objects.filter(campaign_members(campaign), pk=owner.pk).exists():
        raise ApplicationError(
            errors={"owner": _("The owner must be a lead, deputy or member of the campaign's team.")}
        )
