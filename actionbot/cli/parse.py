"""`actionbot parse FILE`: what a careful reader finds in one notes file, offline.

The note-taker's check before merging, and the JSON contract other tools read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from actionbot.cli._notes_file import add_notes_file_arguments, load_config_file, read_notes
from actionbot.notes.parse import notes_to_json


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "parse",
        help="show the meetings, action items, owners and references found in a notes file",
        description="Read a markdown notes file offline and print what actionbot finds in it.",
    )
    add_notes_file_arguments(
        p,
        repo_help="repository of the notes (resolves bare #N)",
        config_help="a .github/actionbot.yml (sections: and people: are used)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    notes = read_notes(args, load_config_file(args.config))
    if args.format == "json":
        json.dump(notes_to_json(notes), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(notes_to_json(notes)))
    return 0


def render_text(data: dict[str, Any]) -> str:
    """A readable listing: meetings, sections, then items indented under their parents."""
    out = [f"{data['file']}"]
    for k, m in enumerate(data["meetings"]):
        out.append(f"  meeting {k}: {m['title'] or '(untitled)'}  date={m['date'] or '?'}  line {m['line']}")
    for s in data.get("sections", []):
        out.append(f"  section line {s['line']}: {s['heading']}")
    items = data["items"]
    depth: dict[int, int] = {}
    opening = sum(1 for it in items if it["opens_issue"])
    out.append(f"  {len(items)} items, {opening} would open an issue")
    for k, it in enumerate(items):
        d = depth[k] = depth.get(it["parent"], -1) + 1 if it["parent"] is not None else 0
        mark = "x" if it["done"] else ("*" if it["opens_issue"] else "-")
        extra = []
        if it["owners"]:
            tent = set(it["tentative_owners"])
            extra.append("owners: " + ", ".join(o + ("?" if o in tent else "") for o in it["owners"]))
        if it["refs"]:
            extra.append("refs: " + ", ".join(it["refs"]))
        if it["source"] == "inline":
            extra.append("inline")
        tail = f"  [{'; '.join(extra)}]" if extra else ""
        out.append(f"  {it['line']:>5} {'  ' * d}{mark} {it['text']}{tail}")
    out.append("  (* opens an issue, - detail or status, x done)")
    unsure = data.get("unsure", [])
    if unsure:
        out.append(f"  not opened (unsure): {len(unsure)}")
        out += [f"  {u['line']:>5} ? {u['text']}  [{u['reason']}]" for u in unsure]
    return "\n".join(out) + "\n"
