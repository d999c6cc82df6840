"""Gitignore-style globs for notes files: `**` is zero or more folders."""

from __future__ import annotations

import fnmatch
import time

import pytest

from actionbot.core.globs import GlobError, check_glob, compile_globs, normalise_path


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        # The case fnmatch gets wrong: ** matches zero folders too.
        ("docs/meetings/**/*.md", "docs/meetings/2018-01-04.md", True),
        ("docs/meetings/**/*.md", "docs/meetings/2018/01/04.md", True),
        ("docs/meetings/**/*.md", "docs/meetingsX/a.md", False),
        ("docs/meetings/**/*.md", "other/docs/meetings/a.md", False),
        ("docs/meetings/**/*.md", "docs/meetings/a.txt", False),
        # * never crosses a folder
        ("docs/*.md", "docs/a/b.md", False),
        ("docs/*.md", "docs/b.md", True),
        # no slash: any depth; leading slash: anchored at the root
        ("*.md", "deep/down/notes.md", True),
        ("/*.md", "deep/notes.md", False),
        ("/*.md", "notes.md", True),
        ("**/meetings/*.md", "meetings/a.md", True),
        ("**/meetings/*.md", "x/y/meetings/a.md", True),
        # a folder selects everything under it
        ("meetings/", "meetings/2020/a.md", True),
        ("meeting-?.md", "meeting-1.md", True),
        ("[0-9]*.md", "2018-01-04.md", True),
        ("[0-9]*.md", "notes.md", False),
    ],
)
def test_gitignore_semantics(pattern: str, path: str, expected: bool) -> None:
    assert compile_globs([pattern]).matches(path) is expected


def test_fnmatch_would_have_been_wrong() -> None:
    # Why we do not use fnmatch: it needs a folder between the two slashes.
    assert not fnmatch.fnmatch("docs/meetings/2018-01-04.md", "docs/meetings/**/*.md")
    assert compile_globs(["docs/meetings/**/*.md"]).matches("docs/meetings/2018-01-04.md")


def test_negation_excludes_and_order_matters() -> None:
    globs = compile_globs(["docs/**/*.md", "!docs/**/README.md"])
    assert globs.matches("docs/2020/a.md")
    assert not globs.matches("docs/2020/README.md")
    again = compile_globs(["docs/**/*.md", "!docs/**/README.md", "docs/keep/README.md"])
    assert again.matches("docs/keep/README.md")


def test_paths_are_normalised() -> None:
    assert normalise_path("./docs/a.md") == "docs/a.md"
    assert normalise_path("/docs/a.md") == "docs/a.md"
    assert compile_globs(["docs/*.md"]).matches("./docs/a.md")


def test_empty_list_matches_nothing() -> None:
    assert not compile_globs([]).matches("a.md")


@pytest.mark.parametrize("bad", ["", "  ", "!", "[z-a].md", "#comment", "\\"])
def test_invalid_globs_are_reported(bad: str) -> None:
    assert check_glob(bad)
    with pytest.raises(GlobError) as info:
        compile_globs(["ok/*.md", bad])
    assert info.value.pattern == bad


def test_valid_glob_has_no_complaint() -> None:
    assert check_glob("docs/meetings/**/*.md") is None


# ---------------------------------------------------------------- bounded matching
@pytest.mark.parametrize(
    "pattern, words",
    [
        ("*a" * 12, "at most 2 `*` in one file or folder name"),  # 44 s against a 37-character path before
        ("!docs/*a*b*c.md", "at most 2 `*`"),
        ("a/**/b/**/c/**/e", "at most 2 `**`"),  # 22 s against a 1,803-character path before
    ],
)
def test_globs_that_would_backtrack_for_seconds_are_refused(pattern: str, words: str) -> None:
    assert words in (check_glob(pattern) or "")
    with pytest.raises(GlobError):
        compile_globs([pattern])


def test_the_allowed_globs_match_any_path_quickly_and_long_paths_never() -> None:
    """Paths come from pull requests: the worst that the bounds allow, against crafted paths, in CPU time."""
    start = time.process_time()
    for pattern in ("**/b/**/*x*y", "**/*x*y/**/*x*y", "a*b/**/c*d/**/e*f"):
        globs = compile_globs([pattern])
        for path in ("b/" * 150, "b/" * 100 + "x" * 100, "x" * 300, "b/" * 75 + "x" * 150, "b/x/" * 75):
            assert not globs.matches(path[:300])
        assert not globs.matches("b/" * 1300 + "x" * 1400)  # 1.8 s before: over the length, never notes
    assert time.process_time() - start < 1.0
    assert compile_globs(["**/*.md"]).matches("a/" * 148 + ".md") and not compile_globs(["**/*.md"]).matches("a/" * 149 + "x.md")
