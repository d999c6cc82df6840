"""What the engine needs from the world: the GitHub calls it makes, and who runs it.

`GitHub` lists only the calls the engine makes (a narrow interface per
consumer): `actionbot.github.client.GitHubClient` implements it over HTTP and
`tests/fakestore.py` in memory. Answers are GitHub's JSON objects as plain
dicts. `Runner` is what the engine may ask of whoever runs it (the service's
per-delivery context, the resync, the GitHub Actions mode): the name commands
are addressed to, a note for the log line, follow-up work behind the
repository's queue, and a record of every reconcile's report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from actionbot.engine.report import SyncReport

Json = dict[str, Any]
Job = Callable[[], Awaitable[None]]


class GitHub(Protocol):
    # repositories and their contents
    async def get_repo(self, repo: str) -> Json: ...
    async def get_commit(self, repo: str, sha: str) -> Json: ...
    async def get_content(self, repo: str, path: str, ref: str | None = None) -> bytes | None: ...
    async def get_tree(self, repo: str, ref: str) -> list[str]: ...
    async def get_tree_entries(self, repo: str, ref: str) -> list[Json]: ...

    # issues, sub-issues, comments, labels
    async def list_issues(
        self, repo: str, *, labels: list[str] | str | None = None, state: str = "all", since: str | None = None
    ) -> list[Json]: ...
    async def get_issue(self, repo: str, number: int) -> Json: ...
    async def create_issue(
        self, repo: str, *, title: str, body: str = "", labels: list[str] | None = None, assignees: list[str] | None = None
    ) -> Json: ...
    async def update_issue(self, repo: str, number: int, *, retry_safe: bool = True, **fields: Any) -> Json: ...
    async def list_sub_issues(self, repo: str, number: int) -> list[Json]: ...
    async def add_sub_issue(self, repo: str, number: int, sub_issue_id: int) -> Json: ...
    async def list_comments(self, repo: str, number: int) -> list[Json]: ...
    async def create_comment(self, repo: str, number: int, body: str) -> Json: ...
    async def update_comment(self, repo: str, comment_id: int, body: str) -> Json: ...
    async def delete_comment(self, repo: str, comment_id: int) -> bool: ...
    async def list_labels(self, repo: str) -> list[Json]: ...
    async def create_label(self, repo: str, name: str, color: str, description: str = "") -> Json: ...
    async def is_assignable(self, repo: str, login: str) -> bool: ...

    # check runs
    async def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        status: str = "completed",
        conclusion: str | None = None,
        output: Mapping[str, Any] | None = None,
        details_url: str | None = None,
        external_id: str | None = None,
    ) -> Json: ...
    async def list_check_runs(self, repo: str, ref: str, *, name: str | None = None) -> list[Json]: ...


class Runner(Protocol):
    handle: str  # the @name commands are addressed to

    def note(self, message: str) -> None:
        """A few words for the log line of the delivery (or run) this work belongs to."""

    def enqueue(self, key: str, job: Job) -> bool:
        """Run `job` later, behind other work for `key`; False when it could not be queued."""

    def record(self, report: SyncReport) -> None:
        """Every reconcile's report, so a caller that ran handlers learns what each one did."""
