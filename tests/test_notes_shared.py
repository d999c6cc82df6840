"""The parser on the real notes of ../shared (seed file, corpus): skipped without it.

`actionbot parse --format json` runs in this process, once per file and
repository for the whole session: the corpus tests and both scores share it.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from actionbot.__main__ import main
from actionbot.notes.parse import parse_notes, read_notes_file
from tests.shared import Parser, has_shared, score, score_module, shared_path


def test_seed_file_reads_as_product_md_says():
    path = shared_path("seed", "2018-01-04-team-meeting.md")
    notes = parse_notes(read_notes_file(str(path)), path=str(path), repo="jupyterhub/team-compass")
    assert [(m.title, m.date) for m in notes.meetings] == [("January 2018", "2018-01-04")]
    assert [s.heading for s in notes.sections] == ["V. Next actions (team)"]
    got = {it.text[:40]: (list(it.owners), list(it.tentative_owners), it.opens_issue) for it in notes.items}
    expected = {
        "Please add yourself to the Team Organiza": ([], [], True),
        "Come up with rough guidelines for blog p": ([], [], True),
        "Figure out how to remove tracking all su": ([], [], True),
        "List all potential blogpost that should ": ([], [], True),
        "Binder browser extension (Matthias)": (["Matthias"], [], True),
        "JuyterDays France (Sylvain, Loic?)": (["Sylvain", "Loic"], ["Loic"], True),
        "JupyterLab release (Brian)": (["Brian"], [], True),
        "What's new in Binder / Happy New Year (C": (["Chris H"], [], True),
        "JupyterDays CFP (Brian/Fernando)": (["Brian", "Fernando"], [], True),
        "Follow up on Matthias' suggestion to com": ([], [], True),
        "Read the docs": ([], [], False),
        "PyPI": ([], [], False),
        "Analytics": ([], [], False),
    }
    assert got == expected
    by_text = {it.text: k for k, it in enumerate(notes.items)}
    assert notes.items[by_text["PyPI"]].parent == by_text[next(t for t in by_text if t.startswith("Follow up"))]


@pytest.fixture(scope="session")
def parse_json() -> Parser:
    """`actionbot parse --format json --repo REPO FILE` in this process, each (file, repo) read once."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}

    def parse(path: str, repo: str) -> dict[str, Any]:
        if (path, repo) not in seen:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["parse", "--format", "json", "--repo", repo, path])
            assert code == 0, err.getvalue()
            seen[path, repo] = json.loads(out.getvalue())
        return seen[path, repo]

    return parse


@pytest.mark.skipif(not has_shared("corpus", "score.py"), reason="needs ../shared/corpus (CI has it)")
def test_every_corpus_file_parses(parse_json: Parser) -> None:
    folder = shared_path("corpus", "notes")
    files = sorted(folder.glob("*.md"))
    assert len(files) >= 60
    repos = score_module().REPOS  # each file as its project's repository, as the score reads it
    for f in files:
        data = parse_json(str(f), repos[f.name.split("__")[0]])
        json.dumps(data)
        for it in data["items"]:
            assert it["parent"] is None or 0 <= it["parent"] < len(data["items"])
            assert it["meeting"] is None or 0 <= it["meeting"] < len(data["meetings"])


@pytest.mark.skipif(not has_shared("corpus", "score.py"), reason="needs ../shared/corpus (CI has it)")
def test_score_on_the_labelled_files_meets_issue_2(parse_json: Parser) -> None:
    figures, last = score(parse_json)
    assert figures["issues_f1"] >= 0.99, last
    assert figures["items_f1"] >= 0.99, last
    assert figures["owned_exact"] >= 0.99, last
    assert figures["owner_names_f1"] >= 0.99, last
    assert figures["refs"] >= 0.95, last
    assert figures["errors"] == 0, last


@pytest.mark.skipif(not has_shared("corpus2", "expected.json"), reason="needs ../shared/corpus2 (CI has it)")
def test_score_on_notes_of_other_projects(parse_json: Parser) -> None:
    """Six projects' notes the rules were not written from: the reading must generalise."""
    figures, last = score(parse_json, "--labels", str(shared_path("corpus2", "expected.json")))
    assert figures["issues_f1"] >= 0.97, last
    assert figures["items_f1"] >= 0.99, last
    assert figures["owned_exact"] >= 0.98, last
    assert figures["owner_names_f1"] >= 0.98, last
    assert figures["errors"] == 0, last
