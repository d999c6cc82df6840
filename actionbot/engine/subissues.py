"""A parent item's owned sub-items become its sub-issues on GitHub, where GitHub allows.

The parent's body already links each sub-item's issue; making them sub-issues
too gives GitHub's own progress bar and hierarchy. It is best effort, and
costs nothing when there is nothing to do: which issue already has a parent is
read from the issue listing the sync has anyway (`parent_issue_url`), so an
unchanged re-run makes no request here. Only when GitHub reports sub-issue
counts (`sub_issues_summary`) but not the child's parent is the parent's
sub-issue list read, and only while the counts say one may be missing. Where
neither field is there (a GitHub Enterprise Server without sub-issues),
nothing is tried. A refusal (404/403: not available; 422: already a sub-issue,
another parent, the limit of sub-issues) is logged and never fails the run.

A child that already has a parent is left alone, even another parent: a human
may have put it there.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gidgethub import BadRequest, GitHubException

from actionbot.engine.apply import LOST, describe_error
from actionbot.engine.port import GitHub

log = logging.getLogger(__name__)

MAX_SUB_ISSUES = 100  # GitHub's limit per parent issue


@dataclass(frozen=True)
class Link:
    parent: int  # issue number
    child: int  # issue number
    child_id: int  # the child's `id`: what the API takes


@dataclass(frozen=True)
class Wanted:
    """Links to add, and parents whose sub-issue list must be read first (their children's parent is unknown)."""

    links: tuple[Link, ...] = ()
    unknown: Mapping[int, tuple[Link, ...]] = field(default_factory=dict)


@dataclass
class Linked:
    added: list[Link] = field(default_factory=list)
    refused: list[tuple[Link, str]] = field(default_factory=list)


def wanted_links(
    families: Iterable[tuple[str, Collection[str]]],
    numbers: Mapping[str, int],
    issues: Mapping[int, Mapping[str, Any]],
    *,
    skip: Collection[int] = (),
) -> Wanted:
    """Pure: which sub-item issues to add under which parent.

    `families`: (parent item key, its owned sub-items' keys); `numbers`: item
    key -> issue number; `issues`: issue number -> the issue as GitHub lists
    it; `skip`: issues not to touch (e.g. just closed as duplicates).
    """
    links: list[Link] = []
    unknown: dict[int, tuple[Link, ...]] = {}
    for parent_key, child_keys in families:
        parent = numbers.get(parent_key)
        pdata = issues.get(parent) if parent is not None else None
        if parent is None or pdata is None or parent in skip:
            continue
        summary = pdata.get("sub_issues_summary")
        room = MAX_SUB_ISSUES - int((summary or {}).get("total") or 0)
        mine: list[Link] = []
        maybe: list[Link] = []
        for key in dict.fromkeys(child_keys):
            child = numbers.get(key)
            cdata = issues.get(child) if child is not None else None
            if child is None or cdata is None or child == parent or child in skip or cdata.get("id") is None:
                continue
            link = Link(parent, child, int(cdata["id"]))
            if "parent_issue_url" in cdata:
                if cdata["parent_issue_url"] is None:
                    mine.append(link)
            elif summary is not None:
                maybe.append(link)
        if maybe and int(summary.get("total") or 0) < len(maybe):  # type: ignore[union-attr]
            unknown[parent] = tuple(maybe)  # some may be missing: read the list to know which
        links += mine[: max(room, 0)]
    return Wanted(tuple(links), {p: tuple(ls) for p, ls in unknown.items()})


async def link_sub_issues(
    gh: GitHub,
    repo: str,
    families: Iterable[tuple[str, Collection[str]]],
    numbers: Mapping[str, int],
    issues: Mapping[int, Mapping[str, Any]],
    *,
    skip: Collection[int] = (),
) -> Linked:
    """Add the wanted sub-issues of `repo`; every refusal is logged and returned, never raised."""
    wanted = wanted_links(families, numbers, issues, skip=skip)
    links = list(wanted.links)
    result = Linked()
    for parent, maybe in wanted.unknown.items():
        try:
            have = {int(i["id"]) for i in await gh.list_sub_issues(repo, parent)}
        except (GitHubException, *LOST) as exc:
            log.info("sub-issues of #%d not readable repo=%s: %s", parent, repo, describe_error(exc))
            continue
        links += [ln for ln in maybe if ln.child_id not in have][: max(MAX_SUB_ISSUES - len(have), 0)]
    for link in links:
        try:
            await gh.add_sub_issue(repo, link.parent, link.child_id)
        except BadRequest as exc:
            status = int(exc.status_code)
            result.refused.append((link, describe_error(exc)))
            log.info("#%d not made a sub-issue of #%d repo=%s: %s", link.child, link.parent, repo, describe_error(exc))
            if status in (403, 404):  # sub-issues not available here (or not to us): do not ask again this run
                break
        except (GitHubException, *LOST) as exc:
            result.refused.append((link, describe_error(exc)))
            log.warning("#%d not made a sub-issue of #%d repo=%s: %s", link.child, link.parent, repo, describe_error(exc))
        else:
            result.added.append(link)
    return result
