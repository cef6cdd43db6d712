"""Campaign health, decided once (SPEC 10.2).

:func:`compute_health` is the one function that decides a campaign's health. It reads the plan (phases, milestones,
tasks and their dependencies), runs the critical path method over it and applies the rule:

* a phase is at least **yellow** when one of its tasks is projected to finish after the phase's end and **red**
  when after the campaign's end (with SPEC 3's rules: an overdue milestone or a late critical task is red, any
  late task or a milestone due soon with unfinished work is yellow; see ``rules.phase_health``);
* the campaign is **red** when its ``projected_end`` is after its ``end_date``, else the worst of its phases;
* then signals other apps register (:func:`register_health_signal`: red risk alerts, budget burn ahead of time)
  and KPIs off forecast can make it worse, never better.

Each thing that made the campaign yellow or red is kept as a *reason* (a code and its figures, rendered in the
reader's language by :func:`reason_texts`), so every surface can say why.

The result is stored on the campaign (``health``, ``health_rank``, ``projected_end``, ``slip_days``,
``health_reasons``) for the day it holds (``health_on``), so lists filter and sort by an indexed column. It never
goes stale: every service that changes an input calls :func:`health_invalidate` in its own transaction, and
readers go through :func:`fresh_health` / :func:`campaign_health`, which work out again — under a row lock, in a
fixed number of queries — any campaign that was invalidated or whose stored day is before its today (days pass
in each campaign's own time zone). A Celery beat task does the same for all campaigns every quarter hour, so
readers rarely have to.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from .models import Campaign, Health, Kpi, KpiReading, Milestone, Phase, Task, TaskDependency, TaskStatus
from .rules import kpi_latest, kpi_off_forecast, phase_verdict
from .schedule import CycleError, TaskSpan, compute_schedule

HEALTH_RANK = {Health.RED: 3, Health.YELLOW: 2, Health.GREEN: 1, None: 0}
REFRESH_BATCH = 200


class CampaignFacts(NamedTuple):
    pk: int
    start_date: dt.date
    end_date: dt.date
    today: dt.date


class _Task(NamedTuple):
    pk: int
    campaign_id: int
    phase_id: int | None
    start_date: dt.date
    due_date: dt.date
    status: str
    progress: int


class _Milestone(NamedTuple):
    phase_id: int
    due_date: dt.date
    done: bool


class _Reading(NamedTuple):
    kpi_id: int
    date: dt.date
    actual: Decimal | None
    forecast: Decimal | None


@dataclass
class CampaignHealth:
    """What :func:`compute_health` decided for one campaign."""

    health: str
    projected_end: dt.date | None
    slip_days: int
    reasons: list[dict[str, Any]] = field(default_factory=list)
    phases: dict[int, str] = field(default_factory=dict)  # phase id → light

    @property
    def rank(self) -> int:
        return HEALTH_RANK[self.health]

    @property
    def label(self) -> str:
        return str(Health(self.health).label)

    def texts(self) -> list[str]:
        """Why it has its colour, in the reader's language (only the reasons at its own level)."""
        return reason_texts(self.reasons, level=self.health)


# --- Signals from the apps above (risks, budgets) -------------------------------------------------------------

Signal = Callable[[dict[int, CampaignFacts]], dict[int, list[dict[str, Any]]]]
_SIGNALS: list[Signal] = []
_TEXTS: dict[str, Callable[[dict[str, Any]], str]] = {}


def register_health_signal(signal: Signal, texts: dict[str, Callable[[dict[str, Any]], str]]) -> None:
    """Let an app above campaigns add reasons: ``signal({campaign id: facts})`` returns {campaign id: [reason]}
    in a fixed number of queries; a reason is a dict with ``code``, ``level`` (yellow or red) and the figures
    its text needs; ``texts`` renders each of its codes. Called from the app's ``AppConfig.ready``."""
    if signal not in _SIGNALS:
        _SIGNALS.append(signal)
    _TEXTS.update(texts)


def _slip_text(reason: dict[str, Any]) -> str:
    days = reason["days"]
    return ngettext("Projected to end %(n)d day late", "Projected to end %(n)d days late", days) % {"n": days}


def _phase_causes() -> dict[str, str]:
    return {
        "milestone_overdue": gettext("a milestone is overdue"),
        "late_critical": gettext("a task on the critical path is late"),
        "past_campaign_end": gettext("a task is projected to finish after the campaign ends"),
        "late_task": gettext("a task is late"),
        "past_phase_end": gettext("a task is projected to finish after the phase ends"),
        "milestone_soon": gettext("a milestone is due within 3 days with the work under 80 % done"),
    }


def phase_cause_text(cause: str | None) -> str:
    """What made a phase yellow or red, in the reader's language ("" for a green phase)."""
    return _phase_causes().get(cause or "", "")


def _phase_text(reason: dict[str, Any]) -> str:
    cause = phase_cause_text(reason.get("cause"))
    if cause:
        return gettext("Phase “%(phase)s”: %(cause)s") % {"phase": reason["phase"], "cause": cause}
    return gettext("Phase “%(phase)s”: %(light)s") % {
        "phase": reason["phase"],
        "light": str(Health(reason["level"]).label).lower(),
    }


def _kpi_text(reason: dict[str, Any]) -> str:
    n = reason["count"]
    return ngettext("%(n)d KPI off forecast", "%(n)d KPIs off forecast", n) % {"n": n}


_TEXTS.update({"slip": _slip_text, "phase": _phase_text, "kpi": _kpi_text})


def reason_texts(reasons: Iterable[dict[str, Any]], *, level: str | None = None) -> list[str]:
    """The reasons as sentences in the current language; with ``level``, only those of that level."""
    return [_TEXTS[r["code"]](r) for r in reasons if r.get("code") in _TEXTS and (level is None or r["level"] == level)]


# --- Deciding ---------------------------------------------------------------------------------------------------


def today_in(time_zone: str, now: dt.datetime) -> dt.date:
    """The date in a time zone at ``now``."""
    return now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def compute_health(
    campaign_ids: Iterable[int], *, now: dt.datetime | None = None, signals: bool = True
) -> dict[int, CampaignHealth]:
    """The health of each campaign from its plan, its CPM schedule, its end date and the registered signals, each
    campaign judged on its own today. Seven queries plus one per registered signal, however many campaigns;
    ``signals=False`` leaves out KPIs and the signals (five queries), for phase lights only."""
    now = now or timezone.now()
    ids = list(campaign_ids)
    if not ids:
        return {}
    facts = {
        pk: CampaignFacts(pk, start, end, today_in(zone, now))
        for pk, start, end, zone in Campaign.objects.filter(pk__in=ids).values_list(
            "pk", "start_date", "end_date", "time_zone"
        )
    }
    ids = list(facts)
    phases: dict[int, list[tuple[int, str, dt.date]]] = defaultdict(list)
    for pk, cid, name, end in (
        Phase.objects.filter(campaign_id__in=ids)
        .order_by("order", "pk")
        .values_list("pk", "campaign_id", "name", "end_date")
    ):
        phases[cid].append((pk, name, end))
    milestones: dict[int, list[_Milestone]] = defaultdict(list)
    for row in Milestone.objects.filter(campaign_id__in=ids).values_list("phase_id", "due_date", "done"):
        milestones[row[0]].append(_Milestone(*row))
    tasks: dict[int, list[_Task]] = defaultdict(list)
    for row in Task.objects.filter(campaign_id__in=ids).values_list(
        "pk", "campaign_id", "phase_id", "start_date", "due_date", "status", "progress"
    ):
        tasks[row[1]].append(_Task(*row))
    edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pred, succ, cid in TaskDependency.objects.filter(successor__campaign_id__in=ids).values_list(
        "predecessor_id", "successor_id", "successor__campaign_id"
    ):
        edges[cid].append((pred, succ))
    extra: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for source in [_kpis_off_forecast, *_SIGNALS] if signals else []:
        for cid, reasons in source(facts).items():
            extra[cid].extend(reasons)
    return {
        cid: decide(
            facts=facts[cid],
            phases=phases[cid],
            milestones=milestones,
            tasks=tasks[cid],
            edges=edges[cid],
            extra=extra[cid],
        )
        for cid in ids
    }


def decide(
    *,
    facts: CampaignFacts,
    phases: list[tuple[int, str, dt.date]],
    milestones: dict[int, list[Any]],
    tasks: list[Any],
    edges: list[tuple[int, int]],
    extra: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> CampaignHealth:
    """One campaign's health from its facts (see the module doc); pure, no queries."""
    spans = [
        TaskSpan(id=t.pk, start=t.start_date, due=t.due_date, done=t.status == TaskStatus.DONE, progress=t.progress)
        for t in tasks
    ]
    try:
        schedule = compute_schedule(spans, edges, today=facts.today)
    except CycleError:  # the task services refuse cycles; an old row written around them must not break a page
        schedule = compute_schedule(spans, [], today=facts.today)
    finish = {t.task: t.projected_finish for t in schedule.tasks}
    critical = set(schedule.critical_path)
    by_phase: dict[int, list[Any]] = defaultdict(list)
    for t in tasks:
        if t.phase_id is not None:
            by_phase[t.phase_id].append(t)
    reasons: list[dict[str, Any]] = []
    slip = max((schedule.projected_end - facts.end_date).days, 0) if schedule.projected_end else 0
    health = Health.RED if slip else Health.GREEN
    if slip:
        reasons.append({"code": "slip", "level": Health.RED.value, "days": slip})
    lights: dict[int, str] = {}
    for pk, name, end in phases:
        light, cause = phase_verdict(
            milestones=milestones.get(pk, []),
            tasks=by_phase[pk],
            critical_task_ids=critical,
            today=facts.today,
            projected_finish=finish,
            phase_end=end,
            campaign_end=facts.end_date,
        )
        lights[pk] = light
        if light != Health.GREEN:
            reasons.append({"code": "phase", "level": str(light), "phase": name, "cause": cause})
        health = _worst(health, light)
    for reason in extra:
        reasons.append(reason)
        health = _worst(health, reason["level"])
    reasons.sort(key=lambda r: -HEALTH_RANK[r["level"]])  # stable: slip, phases, then the signals
    return CampaignHealth(
        health=str(health), projected_end=schedule.projected_end, slip_days=slip, reasons=reasons, phases=lights
    )


def _worst(a: str, b: str) -> str:
    return a if HEALTH_RANK[a] >= HEALTH_RANK[b] else b


def _kpis_off_forecast(facts: dict[int, CampaignFacts]) -> dict[int, list[dict[str, Any]]]:
    """A yellow reason for each campaign with KPIs whose latest actual is off forecast (two queries)."""
    kpis = dict(Kpi.objects.filter(campaign_id__in=list(facts)).values_list("pk", "campaign_id"))
    if not kpis:
        return {}
    readings: dict[int, list[_Reading]] = defaultdict(list)
    for row in (
        KpiReading.objects.filter(kpi_id__in=list(kpis))
        .order_by("kpi_id", "date", "pk")
        .values_list("kpi_id", "date", "actual", "forecast")
    ):
        readings[row[0]].append(_Reading(*row))
    off: dict[int, int] = defaultdict(int)
    for kpi_id, rows in readings.items():
        actual, _date, forecast = kpi_latest(rows)
        if kpi_off_forecast(actual, forecast):
            off[kpis[kpi_id]] += 1
    return {cid: [{"code": "kpi", "level": Health.YELLOW.value, "count": n}] for cid, n in off.items()}


# --- Storing and reading ----------------------------------------------------------------------------------------


def health_invalidate(campaign_ids: Iterable[int]) -> None:
    """Mark the campaigns' stored health as out of date (one UPDATE; for several campaigns their rows are locked in
    id order first). Call it, inside the writing transaction,
    from every service that changes a plan, a campaign's dates or time zone, a KPI reading, a risk's alert or a
    budget's approval or spend; the next reader works it out again."""
    ids = sorted({pk for pk in campaign_ids if pk is not None})
    if len(ids) == 1:
        Campaign.objects.filter(pk=ids[0]).exclude(health_on=None).update(health_on=None)
    elif ids:
        with transaction.atomic():
            # Take the rows' locks in id order, as health_refresh does, so the two can never deadlock.
            list(Campaign.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
            Campaign.objects.filter(pk__in=ids).exclude(health_on=None).update(health_on=None)


def health_refresh(campaign_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict[int, CampaignHealth]:
    """Work out and store the campaigns' health. The campaign rows are locked (in id order) before the plan is
    read, so a writer's :func:`health_invalidate` either comes before — and its change is read — or waits and
    marks the result out of date again: a stored health is never older than the plan it claims to describe."""
    now = now or timezone.now()
    ids = sorted(set(campaign_ids))
    results: dict[int, CampaignHealth] = {}
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        with transaction.atomic():
            locked = list(
                Campaign.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", "time_zone")
            )
            computed = compute_health([pk for pk, _zone in locked], now=now)
            rows = []
            for pk, zone in locked:
                h = computed[pk]
                rows.append(
                    Campaign(
                        pk=pk,
                        health=h.health,
                        health_rank=h.rank,
                        projected_end=h.projected_end,
                        slip_days=h.slip_days,
                        health_reasons=h.reasons,
                        health_on=today_in(zone, now),
                    )
                )
            Campaign.objects.bulk_update(
                rows, ["health", "health_rank", "projected_end", "slip_days", "health_reasons", "health_on"]
            )
            results.update(computed)
    return results


def stale_ids(campaigns: QuerySet[Campaign], *, now: dt.datetime | None = None) -> list[int]:
    """Ids among ``campaigns`` whose stored health is out of date (one query): invalidated, or stored for a day
    before the campaign's today. Only rows that may be stale leave the database."""
    now = now or timezone.now()
    latest_today = (now + dt.timedelta(hours=14)).astimezone(dt.UTC).date()  # no time zone is ahead of UTC+14
    candidates = (
        campaigns.filter(Q(health_on__isnull=True) | Q(health_on__lt=latest_today))
        .order_by()
        .values_list("pk", "time_zone", "health_on")
    )
    return [pk for pk, zone, on in candidates if on is None or on < today_in(zone, now)]


def fresh_health(campaigns: QuerySet[Campaign], *, now: dt.datetime | None = None) -> None:
    """Make the stored health of ``campaigns`` current (one query when it already is), before a list reads,
    filters or sorts by it."""
    stale = stale_ids(campaigns, now=now)
    if stale:
        health_refresh(stale, now=now)


def campaign_health(campaign: Campaign, *, now: dt.datetime | None = None) -> CampaignHealth:
    """One campaign's current health (worked out again first if out of date); the instance's columns are
    brought up to date too."""
    now = now or timezone.now()
    if campaign.health_on is None or campaign.health_on < today_in(campaign.time_zone, now):
        result = health_refresh([campaign.pk], now=now)[campaign.pk]
        campaign.health, campaign.health_rank = result.health, result.rank
        campaign.projected_end, campaign.slip_days = result.projected_end, result.slip_days
        campaign.health_reasons, campaign.health_on = result.reasons, today_in(campaign.time_zone, now)
        return result
    return stored_health(campaign)


def stored_health(campaign: Campaign) -> CampaignHealth:
    """The health stored on a campaign row already made fresh by :func:`fresh_health`."""
    return CampaignHealth(
        health=campaign.health,
        projected_end=campaign.projected_end,
        slip_days=campaign.slip_days,
        reasons=list(campaign.health_reasons or []),
    )


# --- A net for writes outside the services ------------------------------------------------------------------------

_CAMPAIGN_INPUTS = {"start_date", "end_date", "time_zone"}


def _campaign_of(instance: Any) -> int | None:
    if isinstance(instance, TaskDependency):
        return Task.objects.filter(pk=instance.successor_id).values_list("campaign_id", flat=True).first()
    if isinstance(instance, KpiReading):
        return Kpi.objects.filter(pk=instance.kpi_id).values_list("campaign_id", flat=True).first()
    return instance.campaign_id


def _part_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):  # fixtures load raw rows; their campaigns are new and have no stored health yet
        health_invalidate([_campaign_of(instance)])


def _campaign_saved(sender: type, instance: Campaign, update_fields: Any = None, **kwargs: Any) -> None:
    if (
        not kwargs.get("created")
        and not kwargs.get("raw")
        and (update_fields is None or _CAMPAIGN_INPUTS & set(update_fields))
    ):
        health_invalidate([instance.pk])


def connect_safety_net() -> None:
    """Mark health out of date on every save or delete of a plan row or a campaign's dates through the ORM (the
    admin, the shell, fixtures), besides the explicit calls in the services. Queryset ``update()`` and
    ``bulk_create`` send no signals: code that uses them calls :func:`health_invalidate` itself."""
    from django.db.models.signals import post_delete, post_save

    for model in (Phase, Milestone, Task, TaskDependency, Kpi, KpiReading):
        post_save.connect(_part_changed, sender=model, dispatch_uid=f"health-save-{model.__name__}")
        post_delete.connect(_part_changed, sender=model, dispatch_uid=f"health-delete-{model.__name__}")
    post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="health-campaign")
