"""The operations a plan is made of: small frozen values, one GitHub write each.

The planner produces them, the apply layer turns each into requests,
`--dry-run` and `actionbot plan` print them (`describe`, `op_to_dict`), and
the check run counts them. They hold only what a write needs, so that every
one of those readers agrees on what a run does, and a plan can be compared,
capped (`writes`) and deferred without any I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from actionbot.core import render


@dataclass(frozen=True)
class EnsureLabel:
    name: str
    color: str
    description: str
    writes = 1

    def describe(self) -> str:
        return f"create label {self.name!r}"


@dataclass(frozen=True)
class CreateIssue:
    key: str
    title: str
    body: str  # may hold placeholders for sub-item issues: render.fill_issue_numbers
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    writes = 1

    @property
    def needs(self) -> tuple[str, ...]:
        """Keys of issues whose numbers the body wants (create those first)."""
        return render.placeholder_keys(self.body)

    def describe(self) -> str:
        extra = [f"labels: {', '.join(self.labels)}"]
        if self.assignees:
            extra.append(f"assignees: {', '.join(self.assignees)}")
        return f"open {self.title!r} ({'; '.join(extra)})"


@dataclass(frozen=True)
class UpdateIssue:
    """A PATCH of only the fields that differ (None: leave as is)."""

    number: int
    title: str | None = None
    body: str | None = None
    labels: tuple[str, ...] | None = None
    assignees: tuple[str, ...] | None = None
    state: str | None = None
    state_reason: str | None = None
    key: str = ""
    writes = 1

    @property
    def changed(self) -> tuple[str, ...]:
        names = ("title", "body", "labels", "assignees", "state", "state_reason")
        return tuple(n for n in names if getattr(self, n) is not None)

    def describe(self) -> str:
        return f"update #{self.number} ({', '.join(self.changed)})"


@dataclass(frozen=True)
class Comment:
    number: int
    body: str
    key: str = ""
    kind: str = ""  # carried-over | removed
    writes = 1

    def describe(self) -> str:
        return f"comment on #{self.number} ({self.kind or 'note'})"


@dataclass(frozen=True)
class CloseIssue:
    number: int
    reason: Literal["completed", "not_planned", "duplicate"]
    comment: str | None = None  # posted before closing
    key: str = ""
    body: str | None = None  # written with the close (a review records its meeting in the marker)
    detail: str = ""  # why, for the check run (default: from the reason)

    @property
    def writes(self) -> int:
        return 2 if self.comment else 1

    def describe(self) -> str:
        return f"close #{self.number} as {self.reason.replace('_', ' ')}"


Operation = EnsureLabel | CreateIssue | UpdateIssue | Comment | CloseIssue
_OP_NAMES = {
    EnsureLabel: "ensure_label",
    CreateIssue: "create_issue",
    UpdateIssue: "update_issue",
    Comment: "comment",
    CloseIssue: "close_issue",
}


def op_to_dict(op: Operation) -> dict[str, Any]:
    data: dict[str, Any] = {"op": _OP_NAMES[type(op)]}
    data.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(op).items() if v is not None})
    return data


@dataclass(frozen=True)
class Plan:
    ops: tuple[Operation, ...] = ()
    deferred: tuple[Operation, ...] = ()  # over the write cap: the next run does them
    unchanged: tuple[int, ...] = ()  # matched issues that need nothing
    matched: Mapping[str, int] = field(default_factory=dict)  # desired key -> issue number

    @property
    def writes(self) -> int:
        return sum(op.writes for op in self.ops)

    def to_json(self) -> str:
        return json.dumps(
            {
                "writes": self.writes,
                "ops": [op_to_dict(op) for op in self.ops],
                "deferred": [op_to_dict(op) for op in self.deferred],
                "unchanged": list(self.unchanged),
            },
            indent=2,
            ensure_ascii=False,
        )

    def describe(self) -> str:
        lines = [op.describe() for op in self.ops]
        if self.unchanged:
            lines.append(f"unchanged: {', '.join(f'#{n}' for n in self.unchanged)}")
        if self.deferred:
            lines.append(f"deferred to the next run (write cap): {len(self.deferred)} operations")
        if not self.ops:
            lines.insert(0, "nothing to do")
        return "\n".join(lines)


# ---------------------------------------------------------------- what applying a plan did


@dataclass(frozen=True)
class Applied:
    """An operation that GitHub has done (`number`: the issue it made or touched)."""

    op: Operation
    number: int | None = None
    url: str | None = None
    note: str = ""  # e.g. "found after a lost answer"


@dataclass(frozen=True)
class Failed:
    op: Operation
    error: str


@dataclass
class ApplyResult:
    applied: list[Applied] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # item key -> issue number
    urls: dict[int, str] = field(default_factory=dict)  # issue number -> html_url
    created: dict[int, dict[str, Any]] = field(default_factory=dict)  # issue number -> GitHub's answer (its `id`)
