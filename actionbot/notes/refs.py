"""GitHub references written in an item's text, normalised to `owner/repo#N`.

Only issues, pull requests and discussions count: the bot follows their state.
Links to repositories, project boards, milestones, searches, files or profiles
are context, not something that can close, so they are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# https://github.com/OWNER/REPO/(issues|pull|discussions)/N with any tail
# (#issuecomment-..., /files, #discussion_r...): the tail never changes the target.
_URL = re.compile(
    r"https?://(?:www\.)?github\.com/([A-Za-z0-9][\w.-]*)/([\w.-]+)/(?:issues|pull|pulls|discussions)/(\d+)\b"
    r"[^\s<>()\[\]]*"
)
# Any other URL: removed before looking for short forms, so that
# `.../blob/main/x.md#12` never reads as a bare `#12`.
_ANY_URL = re.compile(r"(?:https?://|www\.)[^\s<>]+")
_SHORT = re.compile(r"(?<![\w/.#-])([A-Za-z0-9][\w.-]*)/([\w.-]+)#(\d+)\b")
_BARE = re.compile(r"(?<![\w/&#;])#(\d+)\b")


def _add(out: list[str], seen: set[str], ref: str) -> None:
    key = ref.casefold()
    if key not in seen:
        seen.add(key)
        out.append(ref)


def url_ref(url: str) -> str | None:
    """`owner/repo#N` for an issue/PR/discussion URL, else None."""
    m = _URL.match(url.strip())
    if not m:
        return None
    owner, repo, number = m.groups()
    if repo.endswith(".git"):
        repo = repo[:-4]
    return f"{owner}/{repo}#{int(number)}"


def text_refs(text: str, repo: str | None, out: list[str], seen: set[str]) -> None:
    """Append the references written in plain `text` (URLs, owner/repo#N, #N), in order."""
    if "#" not in text and "github" not in text:
        return
    found: list[tuple[int, str]] = []
    if "://" in text or "www." in text:
        chars = list(text)
        for m in _ANY_URL.finditer(text):
            ref = url_ref(m.group(0))
            if ref:
                found.append((m.start(), ref))
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
        text = "".join(chars)
    if "#" in text:
        for m in _SHORT.finditer(text):
            found.append((m.start(), f"{m.group(1)}/{m.group(2)}#{int(m.group(3))}"))
        if repo:
            for m in _BARE.finditer(text):
                found.append((m.start(), f"{repo}#{int(m.group(1))}"))
    for _, ref in sorted(found):
        _add(out, seen, ref)


def find_refs(segments: Iterable[tuple[str, str | None]], repo: str | None) -> tuple[str, ...]:
    """References in an item's own text, given as (text, link target) segments.

    A link whose target is a URL counts once, through its target: the link text
    (`#136`, `PR #18010`, `repo2docker#170`) is the same reference written short.
    """
    out: list[str] = []
    seen: set[str] = set()
    for text, href in segments:
        if href is None:
            text_refs(text, repo, out, seen)
            continue
        ref = url_ref(href)
        if ref:
            _add(out, seen, ref)
        elif not _ANY_URL.match(href):
            text_refs(text, repo, out, seen)
    return tuple(out)
