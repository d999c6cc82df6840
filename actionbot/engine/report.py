"""What one reconcile found and did: the CLI prints it, the check run summarises it, handlers note it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actionbot.core import checkrun
from actionbot.core.operations import Applied, Failed, Operation, Plan, op_to_dict
from actionbot.notes.model import Problem, Unsure


@dataclass
class SyncReport:
    """What one reconcile found and did: the CLI prints it, the check run summarises it."""

    repo: str
    tracking_repo: str = ""
    sha: str | None = None
    dry_run: bool = False
    preview: bool = False
    plan: Plan | None = None
    applied: list[Applied] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    deferred: tuple[Operation, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    unsure: list[Unsure] = field(default_factory=list)  # lines read as maybe-tasks, not opened
    config_error: Problem | None = None
    files: list[str] = field(default_factory=list)  # notes files read
    entries: list[checkrun.Entry] = field(default_factory=list)
    check: str = "not written"  # created | already there | not written | failed: ...
    follow_up: bool = False  # a run was scheduled for the deferred operations
    skipped: str = ""  # why nothing was read (e.g. "no notes changed")

    @property
    def ok(self) -> bool:
        """The whole plan was applied (or, for a dry run, could be computed)."""
        return self.config_error is None and not self.failed and not self.deferred

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "tracking_repo": self.tracking_repo,
            "sha": self.sha,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "skipped": self.skipped or None,
            "files": self.files,
            "plan": [op_to_dict(op) for op in (self.plan.ops if self.plan else ())],
            "applied": [{**op_to_dict(a.op), "number": a.number, "url": a.url, "note": a.note or None} for a in self.applied],
            "failed": [{**op_to_dict(f.op), "error": f.error} for f in self.failed],
            "deferred": [op_to_dict(op) for op in self.deferred],
            "unchanged": list(self.plan.unchanged) if self.plan else [],
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in self.problems],
            "unsure": [{"path": u.path, "line": u.line, "text": u.text, "reason": u.reason} for u in self.unsure],
            "config_error": (
                {"path": self.config_error.path, "line": self.config_error.line, "message": self.config_error.message}
                if self.config_error else None
            ),
            "check": self.check,
        }
