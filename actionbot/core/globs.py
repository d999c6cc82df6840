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
        """True when the repository-relative `path` is selected."""
        return bool(self.patterns) and self._spec.match_file(normalise_path(path))


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
