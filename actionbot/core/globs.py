"""Which files are meeting notes: gitignore-style globs.

The configuration's `notes:` globs follow gitignore's rules because that is
what people who write `.github/` files already know: `**` matches zero or more
folders (`docs/meetings/**/*.md` matches `docs/meetings/2018-01-04.md`), a
pattern without a slash matches at any depth (`*.md`), a leading `/` anchors
it, and `!pattern` excludes. Python's `fnmatch` gets `**` wrong, and writing a
translator by hand means re-finding gitignore's edge cases (escapes, character
classes, negation, directory patterns), so we use `pathspec`, the library that
black, mypy and many others use for exactly this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import pathspec

# pathspec matches with a backtracking regular expression: each `*` in one name, and each
# `**`, multiplies the work of a path that almost matches by the path's length. Notes globs
# need few of either (`docs/meetings/**/*.md`), and a notes file's path is short, so both
# are bounded: a pull request picks its files' names, and matching runs on the event loop.
MAX_DOUBLE_STARS = 2  # `**` segments in one glob
MAX_STARS_IN_A_NAME = 2  # runs of `*` in one path segment
MAX_PATH = 300  # characters: a longer path is never a notes file


_STARS = re.compile(r"\*+")


class GlobError(ValueError):
    """A glob that can not be compiled; `pattern` is the culprit."""

    def __init__(self, pattern: str, reason: str):
        self.pattern = pattern
        self.reason = reason
        super().__init__(f"invalid glob {pattern!r}: {reason}")


@dataclass(frozen=True)
class Globs:
    """A compiled list of globs; later patterns win (so `!x` can exclude)."""

    patterns: tuple[str, ...]
    _spec: pathspec.GitIgnoreSpec = field(compare=False, repr=False)

    def matches(self, path: str) -> bool:
        """True when the repository-relative `path` is selected (never one over MAX_PATH characters)."""
        return bool(self.patterns) and len(path) <= MAX_PATH and self._spec.match_file(normalise_path(path))


def normalise_path(path: str) -> str:
    """Repository-relative, forward slashes, no leading `./` or `/`."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def check_glob(pattern: str) -> str | None:
    """Why `pattern` is not a usable glob, or None when it is."""
    if not isinstance(pattern, str):
        return "a glob must be a string"
    stripped = pattern.strip()
    if not stripped or stripped == "!":
        return "the glob is empty"
    if stripped.startswith("#"):
        return "a glob starting with '#' is a comment in gitignore syntax; quote and escape it as '\\#'"
    names = stripped.removeprefix("!").split("/")
    if sum(name == "**" for name in names) > MAX_DOUBLE_STARS:
        return f"at most {MAX_DOUBLE_STARS} `**` in one glob; list several globs instead"
    if any(name != "**" and len(_STARS.findall(name)) > MAX_STARS_IN_A_NAME for name in names):
        return f"at most {MAX_STARS_IN_A_NAME} `*` in one file or folder name"
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except re.error as exc:
        return f"{exc.msg} (in a [...] class: write ranges low to high, escape a literal '[' as '\\[')"
    except ValueError as exc:  # pathspec's GitIgnorePatternError
        return str(exc)
    return None


def compile_globs(patterns: Iterable[str]) -> Globs:
    """Compile `patterns`, raising GlobError naming the first bad one."""
    return _compile(tuple(patterns))


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...]) -> Globs:
    for pattern in patterns:
        reason = check_glob(pattern)
        if reason:
            raise GlobError(pattern, reason)
    return Globs(patterns, pathspec.GitIgnoreSpec.from_lines(patterns))
