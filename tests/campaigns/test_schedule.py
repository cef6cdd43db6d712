"""The critical path method on graphs whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.schedule import CycleError, TaskSpan, compute_schedule, find_cycle, topological_order


def day(n: int) -> dt.date:
    return dt.date(2027, 2, 1) + dt.timedelta(days=n - 1)


# A(1–3) → B(4–8) → D(9–10);  A → C(4–5) → D
DIAMOND = [
    TaskSpan(1, day(1), day(3)),
    TaskSpan(2, day(4), day(8)),
    TaskSpan(3, day(4), day(5)),
    TaskSpan(4, day(9), day(10)),
]
DIAMOND_EDGES = [(1, 2), (1, 3), (2, 4), (3, 4)]


def test_forward_and_backward_pass_on_a_diamond():
    schedule = compute_schedule(DIAMOND, DIAMOND_EDGES)
    t = schedule.by_task()
    assert (t[1].earliest_start, t[1].earliest_finish, t[1].latest_start, t[1].latest_finish) == (
        day(1),
        day(3),
        day(1),
        day(3),
    )
    assert (t[2].earliest_start, t[2].earliest_finish, t[2].latest_start, t[2].latest_finish) == (
        day(4),
        day(8),
        day(4),
        day(8),
    )
    assert (t[3].earliest_start, t[3].earliest_finish, t[3].latest_start, t[3].latest_finish) == (
        day(4),
        day(5),
        day(7),
        day(8),
    )
    assert (t[4].earliest_start, t[4].earliest_finish) == (day(9), day(10))
    assert [t[i].float_days for i in (1, 2, 3, 4)] == [0, 0, 3, 0]
    assert schedule.critical_path == [1, 2, 4]
    assert schedule.end == day(10)


def test_a_dependency_pushes_a_task_past_its_planned_start():
    # C planned on days 2–3 but must wait for A (1–3): it runs 4–5.
    schedule = compute_schedule([TaskSpan(1, day(1), day(3)), TaskSpan(2, day(2), day(3))], [(1, 2)])
    t = schedule.by_task()
    assert (t[2].earliest_start, t[2].earliest_finish) == (day(4), day(5))
    assert schedule.critical_path == [1, 2]


def test_a_later_independent_task_takes_over_the_critical_path():
    tasks = [*DIAMOND, TaskSpan(5, day(15), day(16))]
    schedule = compute_schedule(tasks, DIAMOND_EDGES)
    t = schedule.by_task()
    assert schedule.critical_path == [5]
    assert t[4].float_days == 6
    assert t[1].float_days == 6
    assert schedule.end == day(16)


def test_adding_a_dependency_makes_a_new_critical_path():
    before = compute_schedule(DIAMOND, DIAMOND_EDGES)
    assert 3 not in before.critical_path
    # C now also waits for a long task X (days 1–7): C runs 8–9, D 10–11.
    tasks = [*DIAMOND, TaskSpan(6, day(1), day(7))]
    after = compute_schedule(tasks, [*DIAMOND_EDGES, (6, 3)])
    assert after.critical_path == [6, 3, 4]
    assert after.end == day(11)


def test_one_day_tasks_and_no_dependencies():
    schedule = compute_schedule([TaskSpan(1, day(1), day(1)), TaskSpan(2, day(1), day(2))], [])
    t = schedule.by_task()
    assert t[1].float_days == 1
    assert schedule.critical_path == [2]


def test_projected_end_without_delays_is_the_planned_end():
    schedule = compute_schedule(DIAMOND, DIAMOND_EDGES, today=day(1))
    assert schedule.projected_end == day(10)


def test_late_tasks_keep_slipping_and_push_the_projected_end():
    # Today is day 9; B (4–8) is not done and at 40 %: 3 days of 5 remain, so it finishes day 11, D runs 12–13.
    tasks = [
        TaskSpan(1, day(1), day(3), done=True, progress=100),
        TaskSpan(2, day(4), day(8), progress=40),
        TaskSpan(3, day(4), day(5), done=True, progress=100),
        TaskSpan(4, day(9), day(10)),
    ]
    schedule = compute_schedule(tasks, DIAMOND_EDGES, today=day(9))
    assert schedule.end == day(10)
    assert schedule.projected_end == day(13)


def test_a_late_task_with_no_progress_needs_its_whole_duration_from_today():
    schedule = compute_schedule([TaskSpan(1, day(1), day(3))], [], today=day(10))
    assert schedule.projected_end == day(12)


def test_cycles_are_named():
    with pytest.raises(CycleError) as excinfo:
        topological_order([1, 2, 3, 4], [(1, 2), (2, 3), (3, 1), (3, 4)])
    cycle = excinfo.value.cycle
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {1, 2, 3}
    assert find_cycle({5, 6}, [(5, 6), (6, 5)]) in ([5, 6, 5], [6, 5, 6])


def test_schedule_refuses_a_cyclic_plan():
    with pytest.raises(CycleError):
        compute_schedule([TaskSpan(1, day(1), day(2)), TaskSpan(2, day(1), day(2))], [(1, 2), (2, 1)])


def test_empty_plan():
    schedule = compute_schedule([], [])
    assert (schedule.tasks, schedule.critical_path, schedule.end, schedule.projected_end) == ([], [], None, None)
