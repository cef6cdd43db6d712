"""``make bench``: run every bench/bench_*.py and bench/load.py, then print one table of their figures.

Each script prints its own report and, for the table, lines of the form
``BENCH name=<id> value=<number> unit=<unit> [target=<number> cmp=<|<=|>|>=]``.
Arguments narrow the run to scripts whose name contains one of them (``make bench BENCH="cpm load"``).
Exits non-zero if a script fails; with BENCH_STRICT=1 also if a figure misses its target.
"""

from __future__ import annotations

import operator
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def scripts(filters: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if (HERE / "load.py").exists():
        found.append(HERE / "load.py")
    return [path for path in found if not filters or any(f in path.stem for f in filters)]


def parse(line: str) -> dict[str, str] | None:
    if not line.startswith("BENCH "):
        return None
    fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    return fields if "name" in fields and "value" in fields else None


def verdict(row: dict[str, str]) -> str:
    if "target" not in row:
        return ""
    check = COMPARE.get(row.get("cmp", "<"))
    if check is None:
        return "?"
    return "pass" if check(float(row["value"]), float(row["target"])) else "FAIL"


def memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return "? GiB"
    return f"{kib / 2**20:.0f} GiB"


def main() -> int:
    rows: list[dict[str, str]] = []
    failures: list[str] = []
    started_all = time.monotonic()
    for path in scripts(sys.argv[1:]):
        print(f"\n=== {path.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            row = parse(line.strip())
            if row is not None:
                row["script"] = path.name
                rows.append(row)
        code = proc.wait()
        print(f"=== {path.name}: exit {code} in {time.monotonic() - started:.0f}s", flush=True)
        if code != 0:
            failures.append(f"{path.name} (exit {code})")

    print(f"\nBenchmarks ({platform.node()}: {os.cpu_count()} cores, {memory()} RAM, Python {platform.python_version()}; "
          f"{time.monotonic() - started_all:.0f}s in all)")  # fmt: skip
    header = ("name", "value", "unit", "target", "result")
    table = [header] + [
        (row["name"], row["value"], row.get("unit", ""), f"{row.get('cmp', '')}{row.get('target', '')}", verdict(row))
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for n, r in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if i != 1 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    missed = [row["name"] for row in rows if verdict(row) == "FAIL"]
    print(
        f"\n{sum(verdict(r) == 'pass' for r in rows)} targets met, {len(missed)} missed"
        + (f" ({', '.join(missed)})" if missed else "")
        + (f"; failed scripts: {', '.join(failures)}" if failures else "")
    )
    if failures or (missed and os.environ.get("BENCH_STRICT") == "1"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
