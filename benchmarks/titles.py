#!/usr/bin/env python3
"""How many issue titles would need a maintainer's edit, over both shared note sets.

Runs the same reading and planning as `actionbot plan --format json` (no
issues yet, built-in defaults) over every file of ../shared/corpus/notes and
../shared/corpus2/notes, and counts the titles that break a title rule: longer
than 80 characters, cut with an ellipsis, naming one of the item's owners at
the start or the end (as the parser found them or as the hand labels give them),
starting lower-case (code excepted), holding a URL,
ending in `:`. A title may break several rules; `total` counts it once.

    .venv/bin/python benchmarks/titles.py [--shared DIR] [--show RULE]

Last line: titles=<N> breaking=<N> pct=<P> (target: pct <= 5, url=0, owner=0).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.desired import DesiredIssue, NotesContext, desired_issues, scope_of
from actionbot.core.operations import CreateIssue
from actionbot.core.plan import plan
from actionbot.core.titles import TITLE_MAX, starts_with_code
from actionbot.notes.parse import parse_notes

SETS = ("corpus", "corpus2")
LABELS = {"corpus": ("expected", "all.json"), "corpus2": ("expected.json",)}


def labelled_owners(shared: Path, name: str) -> dict[tuple[str, int], list[str]]:
    """Owners the hand labels give each item, by (file name, line): the owner check does not
    rely on the parser having found them."""
    path = shared.joinpath(name, *LABELS[name])
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        (file, int(item["line"])): list(item.get("owners") or [])
        for file, labels in data.items() if isinstance(labels, dict)
        for item in labels.get("items") or () if isinstance(item, dict) and "line" in item
    }  # fmt: skip


def titles_of(path: Path) -> list[tuple[str, DesiredIssue]]:
    """(title, desired issue) for every issue `actionbot plan` would open for one file."""
    text = path.read_text(encoding="utf-8")
    notes = parse_notes(text, path=path.name, repo=None, phrases=DEFAULT_CONFIG.sections, people=DEFAULT_CONFIG.people)
    context = NotesContext(repo="OWNER/REPO", html_url="https://github.com/OWNER/REPO", sha="HEAD", path=path.name)
    desired = desired_issues(notes, DEFAULT_CONFIG, context)
    result = plan(desired, [], DEFAULT_CONFIG, tracking_repo="OWNER/REPO", scope=scope_of(notes, DEFAULT_CONFIG))
    by_key = {d.key: d for d in desired}
    return [
        (op.title, by_key[op.key])
        for op in (*result.ops, *result.deferred)
        if isinstance(op, CreateIssue) and op.key in by_key
    ]


LABELLED: dict[tuple[str, int], list[str]] = {}


def _owner_keys(d: DesiredIssue) -> set[str]:
    names = [o.name for o in d.owners] + LABELLED.get((d.path, d.line), [])
    return {n.casefold().lstrip("@").rstrip("?") for n in names if n.strip()}


def names_owner_at_edge(title: str, d: DesiredIssue) -> bool:
    """The title's first or last words are one of the item's owners (as the notes wrote them)."""
    words = [w.strip("()[]{}.,;:!?*_-–—'\"`").lstrip("@").casefold() for w in title.split()]
    words = [w for w in words if w]
    if not words:
        return False
    for key in _owner_keys(d):
        n = len(key.split())
        if " ".join(words[:n]) == key or " ".join(words[-n:]) == key:
            return True
    return False


RULES: dict[str, Callable[[str, DesiredIssue], bool]] = {
    "too_long": lambda t, d: len(t) > TITLE_MAX,
    "ellipsis": lambda t, d: t.endswith(("…", "...")),
    "owner": names_owner_at_edge,
    "lower_case": lambda t, d: bool(t) and t[0].islower() and not starts_with_code(t),
    "url": lambda t, d: "http://" in t or "https://" in t or "www." in t,
    "colon": lambda t, d: t.rstrip().endswith(":"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("ACTIONBOT_SHARED", ROOT.parent / "shared"))
    ap.add_argument("--shared", type=Path, default=default, help="the shared directory (default ../shared)")
    ap.add_argument("--show", choices=sorted(RULES), action="append", default=[], help="print the titles breaking RULE")
    a = ap.parse_args()
    grand: list[tuple[str, DesiredIssue]] = []
    for name in SETS:
        folder = a.shared / name / "notes"
        if not folder.is_dir():
            print(f"{folder}: absent, skipped", file=sys.stderr)
            continue
        LABELLED.update(labelled_owners(a.shared, name))
        titles = [pair for p in sorted(folder.glob("*.md")) for pair in titles_of(p)]
        report(name, titles, a.show)
        grand += titles
    if not grand:
        print("no notes found: pass --shared DIR", file=sys.stderr)
        return 1
    breaking = sum(1 for t, d in grand if any(rule(t, d) for rule in RULES.values()))
    print(f"titles={len(grand)} breaking={breaking} pct={100 * breaking / len(grand):.1f}")
    return 0


def report(name: str, titles: list[tuple[str, DesiredIssue]], show: list[str]) -> None:
    counts = {rule: sum(1 for t, d in titles if check(t, d)) for rule, check in RULES.items()}
    breaking = sum(1 for t, d in titles if any(check(t, d) for check in RULES.values()))
    print(f"{name}: titles={len(titles)} breaking={breaking} " + " ".join(f"{k}={v}" for k, v in counts.items()))
    for rule in show:
        for t, d in titles:
            if RULES[rule](t, d):
                print(f"  {rule}: {t!r}  <- {d.text[:160]!r}")


if __name__ == "__main__":
    sys.exit(main())
