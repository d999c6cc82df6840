#!/usr/bin/env python3
"""Parse and plan time, and peak memory, on adversarial notes at 100 KB, 300 KB and 1 MB.

Every shape is one a hostile pull request could commit: long runs that make a
backtracking regex or an all-pairs loop blow up, deep nesting, huge tables.
Each (shape, size) runs in a fresh interpreter, so the peak memory is that
case's own (ru_maxrss of the child, interpreter included) and a case that
hangs is cut off at --timeout instead of hanging the benchmark.

    .venv/bin/python benchmarks/hostile.py [--sizes 100000,300000,1000000] [--only NAME] [--timeout S]

Rows are sorted by total CPU time (parse + plan), the slowest last; wall-clock
time is printed too, and is the larger on a shared machine. `growth` is the exponent k in
time ~ size^k between the smallest and the largest size: 1.0 is linear, 2.0
quadratic. The target: every case under 2 s and 300 MB at 1 MB. A file past the
reading limits (lines, action items) is refused before it costs anything: its
row says `refused` and the time the refusal took. The `limits:` shapes are the
costliest files within the limits (every line a list item, every action item
long and owned), padded to the size.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.desired import NotesContext, desired_issues, scope_of
from actionbot.core.plan import plan
from actionbot.notes.model import TooLarge
from actionbot.notes.parse import MAX_ITEMS, MAX_LINES, parse_notes

HEAD = "# Team meeting, 2025-05-12\n\n## Next actions\n\n"


def _fill(unit: str, size: int, prefix: str = HEAD + "- ", suffix: str = "\n") -> str:
    """`prefix` + `unit` repeated to about `size` bytes + `suffix`."""
    return prefix + unit * max(1, (size - len(prefix) - len(suffix)) // len(unit.encode())) + suffix


def _lines(make: Callable[[int], str], size: int, prefix: str = HEAD) -> str:
    """`prefix` + make(0) + make(1) + ... up to about `size` bytes."""
    out = [prefix]
    total, i = len(prefix), 0
    while total < size:
        line = make(i)
        out.append(line)
        total += len(line.encode())
        i += 1
    return "".join(out)


def _meetings(size: int) -> str:
    """Many dated meetings in one file, each with the same one action item."""
    def one(i: int) -> str:
        y, d = 1900 + i // 365, i % 365
        return f"# Meeting {y:04d}-{1 + d // 28 % 12:02d}-{1 + d % 28:02d}\n\n## Next actions\n\n- Ana will fix the build\n\n"
    return _lines(one, size, prefix="")


def _padded(line: str, width: int) -> str:
    """`line` made about `width` bytes long with words, and ended."""
    return line + " notes" * max(0, (width - len(line) - 1) // 6) + "\n"


def _at_limits(size: int, action: Callable[[int], str], other: Callable[[int], str] | None) -> str:
    """MAX_ITEMS action items, then list items up to MAX_LINES lines, each line padded to fill `size`."""
    width = max(1, size // MAX_LINES)
    text = HEAD + "".join(_padded(action(i), width) for i in range(MAX_ITEMS))
    if other is not None:
        rest = MAX_LINES - text.count("\n") - 4
        text += "\n## Notes\n\n" + "".join(_padded(other(i), width) for i in range(rest))
    return text


SHAPES: dict[str, Callable[[int], str]] = {
    "limits: owned items and list lines": lambda n: _at_limits(
        n, lambda i: f"- Update the docs of release {i} so that new people can build it (Ana, Ben)",
        lambda i: f"- Discussed action {i} at length",
    ),
    "limits: `@ui will do i` items only": lambda n: _at_limits(n, lambda i: f"- @ui will do {i} (Ana)", None),
    "limits: list lines, no action": lambda n: "# Team meeting, 2025-05-12\n\n## Agenda\n\n" + "".join(
        _padded(f"- Discussed topic {i}", max(1, n // MAX_LINES)) for i in range(MAX_LINES - 5)
    ),
    "comma runs before the owner `a, a, ... Ana to`": lambda n: _lines(lambda i: "- Fix " + "a, " * 660 + "Ana to go\n", n),
    "owner list `Ana, Ana, ... will`": lambda n: _fill("Ana, ", n, suffix="will\n"),
    "run of spaces `Fix it      x`": lambda n: _fill(" ", n, prefix=HEAD + "- Fix it", suffix="x\n"),
    "strike-through `~~a~~a...`": lambda n: _fill("~~a", n),
    "bare refs `#1 #2 ...` in one item": lambda n: _lines(lambda i: f"#{i + 1} ", n, prefix=HEAD + "- Fix "),
    "refs `o/r#1 o/r#2 ...` in one item": lambda n: _lines(lambda i: f"o/r#{i + 1} ", n, prefix=HEAD + "- Fix "),
    "many items `- Fix i (A)`": lambda n: _lines(lambda i: f"- Fix {i} (A)\n", n),
    "many items `- @ui will do i`": lambda n: _lines(lambda i: f"- @ui will do {i}\n", n),
    "dated meetings of one item": _meetings,
    "hackmd `[name=` runs": lambda n: _fill("[name=", n),
    "dotted run `www.www.`": lambda n: _fill("www.", n),
    "link openers `[a](`": lambda n: _fill("[a](", n),
    "emphasis `*a_`": lambda n: _fill("*a_", n),
    "done markers `**DONE`": lambda n: _fill("**DONE", n),
    "brackets `[[[`": lambda n: _fill("[", n),
    "blank list items `-`": lambda n: _lines(lambda i: "-\n", n),
    "blank list items `*`": lambda n: _lines(lambda i: "*\n", n),
    "parens `((((`": lambda n: _fill("(", n),
    "paren lists `(a, (a, `": lambda n: _fill("(a, ", n),
    "slashes `a/b/a/b/`": lambda n: _fill("a/b/", n),
    "backticks": lambda n: _fill("`a", n),
    "handles `@a @b`": lambda n: _fill("@a @b ", n),
    "nested bullets `- - - -`": lambda n: _fill("- ", n, prefix=HEAD),
    "ordered `1. 1. 1.`": lambda n: _fill("1. ", n, prefix=HEAD),
    "quotes `>>>>`": lambda n: _fill(">", n, prefix=HEAD),
    "indented list ladder": lambda n: _lines(lambda i: "  " * (i % 670) + "- x\n", n),
    "table rows": lambda n: _lines(lambda i: "| a | b |\n" if i != 1 else "|---|---|\n", n),
    "table columns": lambda n: HEAD + _fill("a|", n, prefix="|", suffix="\n") + _fill("-|", n, prefix="|", suffix="\n"),
    "issue URLs": lambda n: _fill("https://github.com/o/r/issues/1 ", n),
    "html comments `<!--`": lambda n: _fill("<!--", n),
    "check-in lines": lambda n: _lines(lambda i: f"Person{i} / @p{i} / Org\n", n, prefix="# M, 2025-05-12\n\n"),
    "combining marks": lambda n: _fill("a\u0301\u0302\u0303 ", n),
    "owner aside `Ana (x) to`": lambda n: _fill("Ana (x) to ", n),
    "clause starts `a, `": lambda n: _fill("a, ", n),
    "statements `a is `": lambda n: _fill("a is ", n),
    "inline actions `TODO: `": lambda n: _lines(lambda i: f"Ana: TODO: fix {i}\n\n", n, prefix="# M, 2025-05-12\n\n"),
    "dates `May 1, 2025 `": lambda n: _fill("May 1, 2025 ", n, prefix="# "),
    "front-matter never closed": lambda n: _fill("a\n", n, prefix="---\ntitle: x\n"),
}


def parse_and_plan(text: str) -> dict[str, float | int]:
    """Wall and CPU seconds of parsing and of planning one notes text (default configuration), and
    the issues planned. CPU time is the steadier figure on a shared machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    notes = parse_notes(text, path="docs/meetings/n.md", repo="o/r", phrases=DEFAULT_CONFIG.sections)
    w1, c1 = time.perf_counter(), time.process_time()
    context = NotesContext(repo="o/r", html_url="https://github.com/o/r", sha="HEAD", path="docs/meetings/n.md")
    desired = desired_issues(notes, DEFAULT_CONFIG, context)
    result = plan(desired, [], DEFAULT_CONFIG, tracking_repo="o/r", assignable=None, scope=scope_of(notes, DEFAULT_CONFIG))
    w2, c2 = time.perf_counter(), time.process_time()
    ops = len(result.ops) + len(result.deferred)
    return {"parse": w1 - w0, "plan": w2 - w1, "parse_cpu": c1 - c0, "plan_cpu": c2 - c1, "ops": ops}


def one_case(shape: str, size: int) -> dict[str, float | int | str]:
    """Runs in the child: build the input, parse and plan it, report times and peak memory."""
    text = SHAPES[shape](size)
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        out: dict[str, float | int | str] = {**parse_and_plan(text), "refused": ""}
    except TooLarge as exc:  # past a reading limit: the time is the refusal's
        out = {"parse": time.perf_counter() - w0, "parse_cpu": time.process_time() - c0, "plan": 0.0, "plan_cpu": 0.0,
               "ops": 0, "refused": exc.message.split(" (")[0]}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**out, "bytes": len(text.encode()), "peak_mb": peak_kb / 1024}


def run_child(shape: str, size: int, timeout: float) -> dict[str, Any] | None:
    """One case in a fresh interpreter; None when it ran past `timeout`."""
    cmd = [sys.executable, __file__, "--child", shape, str(size)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,300000,1000000", help="comma-separated sizes in bytes")
    ap.add_argument("--only", help="run only shapes whose name contains this")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as hung (default 60)")
    ap.add_argument("--child", nargs=2, metavar=("SHAPE", "SIZE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(one_case(a.child[0], int(a.child[1]))))
        return 0
    sizes = [int(s) for s in a.sizes.split(",")]
    rows: list[tuple[float, str]] = []
    worst_wall, worst_cpu, worst_mb = 0.0, 0.0, 0.0
    for shape in SHAPES:
        if a.only and a.only not in shape:
            continue
        first: float | None = None
        for size in sizes:
            r = run_child(shape, size, a.timeout)
            if r is None:
                rows.append((math.inf, f"{shape:38} {size // 1000:5d} KB   >{a.timeout:.0f} s (cut off)"))
                worst_wall = worst_cpu = math.inf
                break
            cpu = float(r["parse_cpu"]) + float(r["plan_cpu"])
            first = cpu if first is None else first
            worst_wall = max(worst_wall, float(r["parse"]) + float(r["plan"]))
            worst_cpu, worst_mb = max(worst_cpu, cpu), max(worst_mb, float(r["peak_mb"]))
            growth = ""
            if size != sizes[0] and first > 0.02 and not r["refused"]:
                growth = f"growth {math.log(cpu / first) / math.log(size / sizes[0]):4.2f}"
            outcome = f"refused: {r['refused']}" if r["refused"] else f"issues {r['ops']:5d}  {growth}"
            rows.append((cpu, f"{shape:38} {size // 1000:5d} KB  parse {r['parse']:5.2f} s (cpu {r['parse_cpu']:5.2f})  "
                              f"plan {r['plan']:5.2f} s (cpu {r['plan_cpu']:5.2f})  peak {r['peak_mb']:4.0f} MB  {outcome}"))
        print(f"done: {shape}", file=sys.stderr, flush=True)
    for _, line in sorted(rows, key=lambda r: r[0]):
        print(line)
    print(f"slowest_total_s={worst_wall:.2f} slowest_cpu_s={worst_cpu:.2f} peak_mb={worst_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
