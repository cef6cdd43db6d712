"""Critical path method over a campaign's tasks (SPEC 3 and the ``schedule/`` contract of SPEC 9).

A task lasts from its start date to its due date inclusive (``d`` days).
Dependencies are finish-to-start: a task starts the day after all its
predecessors finish, and never before its own planned start.

* forward pass: ES = max(planned start, max(EF of predecessors) + 1); EF = ES + d − 1
* backward pass: LF = min(LS of successors) − 1, or the schedule's end for a task
  with no successors; LS = LF − d + 1
* total float = LS − ES days; a task is critical when its float is 0
* projected end: the same forward pass, but an unfinished task that should have
  started before today cannot start before today, and an unfinished task that
  should have finished cannot finish before today plus its remaining work
  (duration × (100 − progress) %), so late tasks keep slipping.

Pure functions over plain tuples: 2,000 tasks and 6,000 dependencies take about
15 ms on the slow CI machine (bench/bench_cpm.py; target 20 ms).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

_FIRST_DAY, _LAST_DAY = dt.date.min.toordinal(), dt.date.max.toordinal()


def _day(ordinal: int) -> dt.date:
    """The date of a day number, clamped to the calendar Python can hold."""
    return dt.date.fromordinal(min(max(ordinal, _FIRST_DAY), _LAST_DAY))


@dataclass(frozen=True)
class TaskSpan:
    id: int
    start: dt.date
    due: dt.date
    done: bool = False
    progress: int = 0

    @property
    def duration(self) -> int:
        return (self.due - self.start).days + 1


class TaskTimes(NamedTuple):
    """One task's times; a named tuple rather than a frozen dataclass: 2,000 of them are made per schedule, and a
    frozen dataclass's ``__init__`` alone took a quarter of the 20 ms budget."""

    task: int
    earliest_start: dt.date
    earliest_finish: dt.date
    latest_start: dt.date
    latest_finish: dt.date
    float_days: int
    critical: bool
    # Where the task is projected to finish (see the module doc): its earliest finish, pushed on by late work.
    projected_finish: dt.date | None = None


@dataclass(frozen=True)
class Schedule:
    tasks: list[TaskTimes]
    critical_path: list[int]
    end: dt.date | None
    projected_end: dt.date | None

    def by_task(self) -> dict[int, TaskTimes]:
        return {t.task: t for t in self.tasks}


class CycleError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists the task ids around it, first repeated last."""

    def __init__(self, cycle: list[int]) -> None:
        self.cycle = cycle
        super().__init__(" → ".join(str(t) for t in cycle))


def topological_order(task_ids: Sequence[int], edges: Iterable[tuple[int, int]]) -> list[int]:
    """Kahn's algorithm; ``edges`` are (predecessor, successor). Raises :class:`CycleError`."""
    edges = list(edges)
    successors: dict[int, list[int]] = {t: [] for t in task_ids}
    indegree: dict[int, int] = dict.fromkeys(task_ids, 0)
    for pred, succ in edges:
        successors[pred].append(succ)
        indegree[succ] += 1
    return _kahn(task_ids, successors, indegree, edges)


def _kahn(
    task_ids: Sequence[int],
    successors: dict[int, list[int]],
    indegree: dict[int, int],
    edges: Iterable[tuple[int, int]],
) -> list[int]:
    """The order itself, given each task's successors and count of predecessors (``indegree`` is used up)."""
    ready = [t for t in task_ids if indegree[t] == 0]
    order: list[int] = []
    while ready:
        current = ready.pop()
        order.append(current)
        for nxt in successors[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(successors):
        remaining = {t for t, d in indegree.items() if d > 0}
        raise CycleError(find_cycle(remaining, edges))
    return order


def find_cycle(nodes: set[int], edges: Iterable[tuple[int, int]]) -> list[int]:
    """One cycle among ``nodes`` (iterative DFS), as ids with the first repeated at the end."""
    successors: dict[int, list[int]] = {n: [] for n in nodes}
    for pred, succ in edges:
        if pred in nodes and succ in nodes:
            successors[pred].append(succ)
    state: dict[int, int] = {}  # 1 = on the current path, 2 = finished
    for root in sorted(nodes):
        if state.get(root):
            continue
        path: list[int] = [root]
        iterators = [iter(successors[root])]
        state[root] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(successors[nxt]))
    return []


def compute_schedule(
    tasks: Sequence[TaskSpan], edges: Sequence[tuple[int, int]], *, today: dt.date | None = None
) -> Schedule:
    """Earliest/latest start and finish, float, critical path and projected end. Raises :class:`CycleError`."""
    if not tasks:
        return Schedule(tasks=[], critical_path=[], end=None, projected_end=None)
    spans = {t.id: t for t in tasks}
    edges = edges if isinstance(edges, list | tuple) else list(edges)  # read twice if there is a cycle
    ids = [t.id for t in tasks]
    # One pass over the dependencies builds both directions (a dependency on an unknown task is ignored); the
    # topological sort reuses them.
    preds: dict[int, list[int]] = {t: [] for t in ids}
    succs: dict[int, list[int]] = {t: [] for t in ids}
    for p, s in edges:
        after, before = succs.get(p), preds.get(s)
        if after is not None and before is not None:
            after.append(s)
            before.append(p)
    order = _kahn(ids, succs, {t: len(before) for t, before in preds.items()}, edges)

    # The passes count in day numbers (ordinals), not dates: a task already stored with a wild due date
    # (9999-12-31) pushes its successors past the last date Python can hold, and that must not raise.
    # Dates are made again at the end, clamped to the calendar. (Plain comparisons rather than min()/max()
    # in the loops, where most of the time goes.)
    today_n = today.toordinal() if today is not None else None

    # Forward pass (planned) and, alongside it, the projected pass with slipping late tasks.
    es: dict[int, int] = {}
    ef: dict[int, int] = {}
    duration_of: dict[int, int] = {}
    projected_finish: dict[int, int] = {}
    for t in order:
        span = spans[t]
        start = projected_start = span.start.toordinal()
        duration = span.due.toordinal() - start + 1
        for p in preds[t]:
            after = ef[p] + 1
            if after > start:
                start = after
            after = projected_finish[p] + 1
            if after > projected_start:
                projected_start = after
        finish = start + duration - 1
        es[t] = start
        ef[t] = finish
        duration_of[t] = duration
        if span.done:
            # Finished already: on its planned finish, and no later than today.
            projected_finish[t] = finish if today_n is None or finish < today_n else today_n
        else:
            finish = projected_start + duration - 1
            if today_n is not None and projected_start < today_n:
                remaining = math.ceil(duration * (100 - span.progress) / 100)
                finish = max(finish, today_n + max(remaining, 1) - 1)
            projected_finish[t] = finish
    end = max(ef.values())

    # Backward pass.
    ls: dict[int, int] = {}
    lf: dict[int, int] = {}
    for t in reversed(order):
        finish = end
        for s in succs[t]:
            before = ls[s] - 1
            if before < finish:
                finish = before
        lf[t] = finish
        ls[t] = finish - duration_of[t] + 1

    # Many tasks share days: each date is made once.
    day = {n: _day(n) for n in {*es.values(), *ef.values(), *ls.values(), *lf.values(), *projected_finish.values()}}
    times = [
        TaskTimes(
            t, day[es[t]], day[ef[t]], day[ls[t]], day[lf[t]], ls[t] - es[t], ls[t] == es[t], day[projected_finish[t]]
        )
        for t in ids
    ]
    critical = sorted((x for x in times if x.critical), key=lambda x: (es[x.task], ef[x.task], x.task))
    return Schedule(
        tasks=times,
        critical_path=[x.task for x in critical],
        end=_day(end),
        projected_end=_day(max(projected_finish.values())),
    )
