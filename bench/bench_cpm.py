"""CPM on 2,000 tasks and 6,000 finish-to-start dependencies (target, SPEC 10.7: p95 ≤ 20 ms).

Pure computation (campaigns.schedule.compute_schedule), no database: a layered
random DAG so that every edge goes forward and the graph has long chains.
Prints min / median / p95 over repeated runs.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from campaigns.schedule import TaskSpan, compute_schedule  # noqa: E402

TASKS, EDGES, RUNS, TARGET_MS = 2000, 6000, 30, 20.0


def build(seed: int = 7) -> tuple[list[TaskSpan], list[tuple[int, int]]]:
    rng = random.Random(seed)
    start = dt.date(2027, 1, 1)
    tasks = []
    for i in range(1, TASKS + 1):
        s = start + dt.timedelta(days=rng.randint(0, 120))
        tasks.append(TaskSpan(i, s, s + dt.timedelta(days=rng.randint(0, 10)), progress=rng.randint(0, 100)))
    edges: set[tuple[int, int]] = set()
    while len(edges) < EDGES:
        a, b = rng.randint(1, TASKS), rng.randint(1, TASKS)
        if a != b:
            edges.add((min(a, b), max(a, b)))  # lower id → higher id: acyclic by construction
    return tasks, sorted(edges)


def main() -> None:
    tasks, edges = build()
    timings = []
    schedule = None
    for _ in range(RUNS):
        started = time.perf_counter()
        schedule = compute_schedule(tasks, edges, today=dt.date(2027, 2, 1))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    median = statistics.median(timings)
    print(
        f"cpm_2000_tasks_6000_deps  min={timings[0]:.1f}ms  median={median:.1f}ms  p95={p95:.1f}ms  "
        f"target<={TARGET_MS:.0f}ms  {'PASS' if p95 <= TARGET_MS else 'FAIL'}  "
        f"(critical tasks: {len(schedule.critical_path)}, end {schedule.end}, projected {schedule.projected_end})"
    )
    print(f"BENCH name=cpm_2000_tasks_6000_deps_p95 value={p95:.1f} unit=ms target={TARGET_MS:.0f} cmp=<=")


if __name__ == "__main__":
    main()
