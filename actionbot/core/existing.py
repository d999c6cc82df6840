"""An action-item issue as GitHub has it, with its hidden marker read (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from actionbot.core import render
from actionbot.core.render import Marker


@dataclass(frozen=True)
class ExistingIssue:
    """An issue as GitHub has it, with its marker read."""

    number: int
    title: str
    body: str
    state: str = "open"  # open | closed
    state_reason: str | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    marker: Marker | None = None

    @classmethod
    def from_github(cls, data: Mapping[str, Any]) -> ExistingIssue:
        body = data.get("body") or ""
        return cls(
            number=int(data["number"]),
            title=data.get("title") or "",
            body=body,
            state=data.get("state") or "open",
            state_reason=data.get("state_reason"),
            labels=tuple(lb["name"] if isinstance(lb, Mapping) else str(lb) for lb in data.get("labels") or ()),
            assignees=tuple(a["login"] if isinstance(a, Mapping) else str(a) for a in data.get("assignees") or ()),
            marker=render.parse_marker(body),
        )

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def existing_issues(listing: Iterable[Mapping[str, Any]]) -> tuple[ExistingIssue, ...]:
    """Issues from a `GET /repos/{o}/{r}/issues` listing (pull requests skipped)."""
    return tuple(ExistingIssue.from_github(d) for d in listing if "pull_request" not in d)
