"""`actionbot plan FILE`: the issues a notes file would open, offline.

The same pure planner the service runs, against a repository with no issues
yet: what a note-taker checks before merging and the first thing a newcomer
runs. Every mapped owner counts as assignable (nothing is asked of GitHub).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

from actionbot.cli._notes_file import add_notes_file_arguments, load_config_file, read_notes
from actionbot.core.desired import NotesContext, desired_issues, scope_of
from actionbot.core.operations import CreateIssue
from actionbot.core.plan import plan
from actionbot.notes.model import InputError


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plan",
        help="show the issues a notes file would open (offline, writes nothing)",
        description="Read a markdown notes file offline and show the GitHub issues actionbot would open for it.",
    )
    add_notes_file_arguments(
        p,
        repo_help="repository of the notes (for links and bare #N)",
        config_help="a .github/actionbot.yml to use (default: built-in defaults)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_file(args.config)
    repo = args.repo or config.tracking_repo or "OWNER/REPO"
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise InputError(args.file, f"--repo must be OWNER/NAME, not {repo!r}")
    notes = read_notes(args, config)
    context = NotesContext(repo=repo, html_url=f"https://github.com/{repo}", sha="HEAD", path=_repo_path(args.file))
    desired = desired_issues(notes, config, context)
    result = plan(  # offline (assignable=None): every mapped login counts as assignable
        desired, [], config, tracking_repo=config.tracking_repo or repo, assignable=None, scope=scope_of(notes, config)
    )
    creates = [op for op in (*result.ops, *result.deferred) if isinstance(op, CreateIssue)]
    by_key = {d.key: d for d in desired}
    if args.format == "json":
        data = {
            "file": args.file,
            "issues": [_issue_json(op, by_key.get(op.key)) for op in creates],
            "plan": json.loads(result.to_json()),
            "problems": [{"line": p.line, "message": p.message} for p in notes.problems],
            "unsure": [{"line": u.line, "text": u.text, "reason": u.reason} for u in notes.unsure],
        }
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(args.file, creates, by_key, desired, notes.problems, result, notes.unsure))
    return 0


def _repo_path(file: str) -> str:
    """A repository-relative-looking path for links: the file as given, or its name when outside."""
    rel = os.path.normpath(file)
    if os.path.isabs(rel) or rel.startswith(".."):
        return os.path.basename(rel)
    return rel.replace(os.sep, "/")


def _issue_json(op: Any, d: Any) -> dict[str, Any]:
    return {
        "key": op.key,
        "title": op.title,
        "labels": list(op.labels),
        "assignees": list(op.assignees),
        "owners": [{"name": o.name, "login": o.login, "tentative": o.tentative} for o in (d.owners if d else ())],
        "tasks": [{"text": t.text, "done": t.done} for t in (d.tasks if d else ())],
        "parent": d.parent_key if d else None,
        "line": d.line if d else None,
        "meeting": d.meeting_date if d else None,
        "body": op.body,
    }


def readable_body(body: str) -> str:
    """The body as a reader sees it: hidden comments gone, the commands list folded."""
    body = re.sub(r"<details><summary>Commands</summary>.*?</details>", "(+ the list of @actionbot commands)", body, flags=re.S)
    body = re.sub(r"<!-- actionbot:issue [0-9a-f]+ -->", "#(new)", body)
    body = re.sub(r"<!--.*?-->\n?", "", body, flags=re.S)
    return body.strip()


def render_text(
    file: str, creates: list[Any], by_key: dict[str, Any], desired: Any, problems: Any, result: Any, unsure: Any = ()
) -> str:
    done = sum(1 for d in desired if d.done)
    head = f"{file}: {len(creates)} issue{'s' if len(creates) != 1 else ''} would be opened"
    if done:
        head += f" ({done} item{'s' if done != 1 else ''} already done in the notes: no issue)"
    out = [head, ""]
    titles = {op.key: op.title for op in creates}
    for n, op in enumerate(creates, 1):
        d = by_key.get(op.key)
        out.append(f"{n}. {op.title}")
        if d is not None:
            out.append(f"   from:      line {d.line}" + (f", meeting {d.meeting_date}" if d.meeting_date else ""))
            if d.parent_key:
                out.append(f"   part of:   {titles.get(d.parent_key, d.parent_key)}")
        out.append(f"   labels:    {', '.join(op.labels)}")
        out.append(f"   assignees: {', '.join(op.assignees) or '(none)'}")
        if d is not None and d.owners:
            owners = []
            for o in d.owners:
                note = " (tentative)" if o.tentative else ""
                owners.append(f"{o.name} -> {o.login}{note}" if o.login else f"{o.name} (not in people:){note}")
            out.append(f"   owners:    {'; '.join(owners)}")
        if d is not None and d.tasks:
            out.append("   tasks:")
            out += [f"     {'  ' * t.depth}[{'x' if t.done else ' '}] {t.text}" for t in d.tasks]
        out.append("   body:")
        out += [f"     | {line}".rstrip() for line in readable_body(op.body).split("\n")]
        out.append("")
    if unsure:
        out.append(f"not opened (unsure): {len(unsure)} line{'s' if len(unsure) != 1 else ''} that might be tasks")
        out += [f"  {file}:{u.line}: {u.text} ({u.reason})" for u in unsure]
        out.append("  (add `TODO:` before such a line, or list it under an actions label, to open an issue)")
        out.append("")
    for p in problems:
        out.append(f"warning: {file}:{p.line or ''}: {p.message}")
    unmapped = sorted({o.name for d in desired for o in d.owners if not o.login})
    if unmapped:
        out.append(
            f"not assigned, no GitHub login known: {', '.join(unmapped)} "
            "(map them under `people:` in a .github/actionbot.yml and pass it with --config)"
        )
    out.append(f"writes needed: {result.writes + sum(op.writes for op in result.deferred)} (labels included)")
    return "\n".join(out) + "\n"
