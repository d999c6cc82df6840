#!/usr/bin/env python3
"""Throughput of the notes parser next to markdown-it-py tokenising the same text.

The parser tokenises once with markdown-it-py and reads the token stream; this
shows what the reading costs on top. Runs over ../shared/corpus/notes when it
is there, else over the project's own fixtures and examples.

    .venv/bin/python benchmarks/parse.py [--rounds N]

Last line: parser_ms=<N> markdown_it_ms=<N> ratio=<parser/markdown-it>
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from markdown_it import MarkdownIt

from actionbot.notes.parse import parse_notes


def corpus() -> tuple[str, list[tuple[str, str]]]:
    shared = Path(os.environ.get("ACTIONBOT_SHARED", ROOT.parent / "shared")) / "corpus" / "notes"
    if shared.is_dir():
        paths = sorted(shared.glob("*.md"))
        where = str(shared)
    else:
        paths = sorted((ROOT / "tests" / "fixtures" / "notes").glob("*.md")) + sorted((ROOT / "examples").glob("*.md"))
        where = "tests/fixtures/notes + examples (../shared is absent)"
    return where, [(p.name, p.read_text(encoding="utf-8")) for p in paths]


def best_of(rounds: int, fn: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()  # CPU time: other processes on the machine do not count
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="best of N runs (default 7)")
    a = ap.parse_args()
    where, files = corpus()
    md = MarkdownIt("commonmark")
    texts = [t for _, t in files]
    size = sum(len(t.encode()) for t in texts)

    def run_md() -> None:
        for t in texts:
            md.parse(t)

    def run_parser() -> None:
        for name, t in files:
            parse_notes(t, path=name, repo="owner/repo")

    run_md(), run_parser()  # warm caches (compiled regexes, rule chains)
    md_s = p_s = float("inf")
    for _ in range(a.rounds):  # interleaved, best of N: machine noise hits both alike
        md_s = min(md_s, best_of(1, run_md))
        p_s = min(p_s, best_of(1, run_parser))
    mb = size / 1e6
    print(f"corpus: {where}: {len(files)} files, {size} bytes")
    print("(the parser tokenises blocks once and runs markdown-it's inline parser only on the lines it reads)")
    print(f"markdown-it-py tokenising: {md_s * 1000:8.1f} ms  {mb / md_s:6.2f} MB/s")
    print(f"actionbot parse_notes:     {p_s * 1000:8.1f} ms  {mb / p_s:6.2f} MB/s")
    print(f"parser_ms={p_s * 1000:.1f} markdown_it_ms={md_s * 1000:.1f} ratio={p_s / md_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
