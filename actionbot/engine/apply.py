"""Operations -> GitHub requests: the thin, careful layer under the pure planner.

Each operation becomes the fewest requests that do it (a create carries its
labels and assignees; an update PATCHes only the fields that differ). The
client paces writes and obeys `retry-after`; this layer adds what only it can
know: a write whose answer was lost (a 5xx, a timeout, a dropped connection,
possibly after GitHub applied it) is never blindly repeated. A lost create is
looked for by its marker in a fresh listing first and made again only when it
is absent; a lost comment is looked for by its hidden tag; a label that
already exists counts as created. Whatever still fails is reported, not
raised, so that one bad item never stops the others, and the next run, which
plans from GitHub's own state, repairs what is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from gidgethub import BadRequest, GitHubBroken

from actionbot.core import render
from actionbot.core.operations import (
    Applied,
    ApplyResult,
    CloseIssue,
    Comment,
    CreateIssue,
    EnsureLabel,
    Failed,
    Operation,
    Plan,
    UpdateIssue,
)
from actionbot.engine.port import GitHub

log = logging.getLogger(__name__)

# The answer was lost: GitHub may or may not have done it.
LOST = (GitHubBroken, aiohttp.ClientError, asyncio.TimeoutError)


def describe_error(exc: BaseException) -> str:
    """One line for a report or a log: GitHub's status and message, else the exception's type and text."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"GitHub answered {int(status)}: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Applier:
    """Applies one plan to one tracking repository."""

    attempts = 3  # tries of one write whose answer was lost

    def __init__(self, gh: GitHub, repo: str, *, action_label: str, issue_urls: Mapping[int, str] | None = None):
        self.gh = gh
        self.repo = repo
        self.action_label = action_label
        self.result = ApplyResult(urls=dict(issue_urls or {}))

    async def apply(self, plan: Plan) -> ApplyResult:
        self.result.numbers.update(plan.matched)
        for op in plan.ops:
            try:
                await self.one(op)
            except (BadRequest, *LOST) as exc:
                log.warning("write failed repo=%s op=%s error=%s", self.repo, op.describe(), describe_error(exc))
                self.result.failed.append(Failed(op, describe_error(exc)))
        return self.result

    async def one(self, op: Operation) -> None:
        if isinstance(op, EnsureLabel):
            await self.ensure_label(op)
        elif isinstance(op, CreateIssue):
            await self.create(op)
        elif isinstance(op, UpdateIssue):
            await self.update(op)
        elif isinstance(op, Comment):
            note = await self.comment(op.number, op.body)
            self.done(op, op.number, note)
        elif isinstance(op, CloseIssue):
            note = await self.comment(op.number, op.comment) if op.comment else ""
            extra: dict[str, Any] = {"body": op.body} if op.body is not None else {}
            await self.gh.update_issue(self.repo, op.number, state="closed", state_reason=op.reason, **extra)
            self.done(op, op.number, note)
        else:  # pragma: no cover - the Operation union is closed
            raise TypeError(op)

    def done(self, op: Operation, number: int | None, note: str = "") -> None:
        self.result.applied.append(Applied(op, number, self.result.urls.get(number) if number else None, note))

    # ---- each kind

    async def ensure_label(self, op: EnsureLabel) -> None:
        note = ""
        for attempt in range(1, self.attempts + 1):
            try:
                await self.gh.create_label(self.repo, op.name, op.color, op.description)
                break
            except BadRequest as exc:
                if int(exc.status_code) == 422:  # already exists (made by a human, a twin run, or a lost answer)
                    note = "already existed"
                    break
                raise
            except LOST:
                if attempt == self.attempts:
                    raise
                note = "retried after a lost answer"
        self.done(op, None, note)

    async def create(self, op: CreateIssue) -> None:
        body = render.fill_issue_numbers(op.body, self.result.numbers)
        assignees = list(op.assignees)
        note = ""
        for attempt in range(1, self.attempts + 1):
            try:
                data = await self.gh.create_issue(
                    self.repo, title=op.title, body=body, labels=list(op.labels), assignees=assignees
                )
                break
            except BadRequest as exc:
                if int(exc.status_code) == 422 and assignees:
                    # A login stopped being assignable since it was checked: GitHub
                    # refused the whole create (nothing was made); the body lists owners.
                    assignees = []
                    note = "created without assignees (not assignable)"
                    continue
                raise
            except LOST as exc:
                found = await self.find_created(op.key)
                if found is not None:
                    data = found
                    note = "found by its marker after a lost answer"
                    break
                if attempt == self.attempts:
                    raise
                log.info("create lost and not applied, creating again repo=%s key=%s (%s)", self.repo, op.key, describe_error(exc))
        number = int(data["number"])
        self.result.numbers[op.key] = number
        self.result.created[number] = data
        if data.get("html_url"):
            self.result.urls[number] = data["html_url"]
        self.done(op, number, note)

    async def find_created(self, key: str) -> dict[str, Any] | None:
        """The issue carrying `key` in its marker, if GitHub made it after all (oldest wins)."""
        listing = await self.gh.list_issues(self.repo, labels=[self.action_label], state="all")
        mine = [i for i in listing if (m := render.parse_marker(i.get("body"))) is not None and m.key == key]
        return min(mine, key=lambda i: int(i["number"])) if mine else None

    async def update(self, op: UpdateIssue) -> None:
        fields: dict[str, Any] = {}
        if op.title is not None:
            fields["title"] = op.title
        if op.body is not None:
            fields["body"] = render.fill_issue_numbers(op.body, self.result.numbers)
        if op.labels is not None:
            fields["labels"] = list(op.labels)
        if op.assignees is not None:
            fields["assignees"] = list(op.assignees)
        if op.state is not None:
            fields["state"] = op.state
        if op.state_reason is not None:
            fields["state_reason"] = op.state_reason
        try:
            data = await self.gh.update_issue(self.repo, op.number, **fields)
        except BadRequest as exc:
            if int(exc.status_code) == 422 and "assignees" in fields:
                fields.pop("assignees")
                data = await self.gh.update_issue(self.repo, op.number, **fields)
            else:
                raise
        if isinstance(data, dict) and data.get("html_url"):
            self.result.urls[op.number] = data["html_url"]
        self.done(op, op.number)

    async def comment(self, number: int, body: str) -> str:
        """Post `body` once: after a lost answer, its hidden tag is looked for before posting again."""
        tag = body.split("\n", 1)[0] if body.startswith("<!-- actionbot:comment") else None
        for attempt in range(1, self.attempts + 1):
            try:
                await self.gh.create_comment(self.repo, number, body)
                return "" if attempt == 1 else "posted again after a lost answer"
            except LOST:
                if tag is None or attempt == self.attempts:
                    raise
                comments = await self.gh.list_comments(self.repo, number)
                if any((c.get("body") or "").startswith(tag) for c in comments):
                    return "found after a lost answer"
        raise AssertionError("unreachable")  # pragma: no cover


async def apply_plan(
    gh: GitHub, repo: str, plan: Plan, *, action_label: str, issue_urls: Mapping[int, str] | None = None
) -> ApplyResult:
    """Do `plan.ops` on `repo` in order; failures are collected, never raised."""
    return await Applier(gh, repo, action_label=action_label, issue_urls=issue_urls).apply(plan)
