"""The fake GitHub's data: repositories with git history, issues, people, tokens.

Pure data and the mutations GitHub would make (with its refusals: 404, 422),
with no HTTP in sight, so the server module and the in-memory client
(`tests/fakestore.py`) both stay thin translations of calls into these, and the
tests can set up and inspect the same objects directly.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

HTML = "https://github.com"
PERMISSIONS = ("read", "triage", "write", "maintain", "admin")
ASSIGNABLE_PERMISSIONS = {"triage", "write", "maintain", "admin"}
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
MAX_SUB_ISSUES = 100  # GitHub's limit per parent issue


class GitHubError(Exception):
    """An answer GitHub would give instead of doing the thing (404, 422, ...)."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


def not_found() -> GitHubError:
    return GitHubError(404, "Not Found")


def validation_failed(errors: list[dict[str, Any]]) -> GitHubError:
    return GitHubError(422, "Validation Failed", errors)


class Clock:
    """The fake's time: real time plus an offset the test controls, or frozen.

    Timestamps of issues and comments, token expiry and rate-limit windows all
    read this clock, so a test can age things without sleeping.
    """

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC).replace(microsecond=0) + self._offset

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        delta = timedelta(seconds=seconds, **kw)
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def freeze(self, at: datetime | str | None = None) -> datetime:
        if isinstance(at, str):
            at = parse_time(at)
        self._frozen = (at or self.now()).astimezone(UTC)
        return self._frozen

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(UTC).replace(microsecond=0)
            self._frozen = None

    def iso(self) -> str:
        return iso(self.now())

    def epoch(self) -> int:
        return int(self.now().timestamp())


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def stable_id(text: str) -> int:
    """A stable positive id for a login or name, so users keep ids across runs."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 90_000_000 + 1_000_000


# ---------------------------------------------------------------- git


@dataclass
class Commit:
    sha: str
    tree: dict[str, str]  # path -> blob sha (files only)
    parents: list[str]
    message: str
    author: str
    date: datetime
    tree_sha: str


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    id: int
    repo: str
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime
    user_type: str = "User"


@dataclass
class Reaction:
    id: int
    content: str
    user: str
    created_at: datetime
    user_type: str = "User"


@dataclass
class Issue:
    id: int
    repo: str
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    user_type: str = "User"
    # pull requests share the numbering
    pull_request: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    head_ref: str = "feature"
    base_ref: str = "main"
    head_sha: str | None = None
    draft: bool = False
    comment_ids: list[int] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    sub_issue_ids: list[int] = field(default_factory=list)
    parent_id: int | None = None


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None
    external_id: str | None
    details_url: str | None
    output: dict[str, Any]
    app_slug: str


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    private: bool
    default_branch: str
    installation_id: int | None
    created_at: datetime
    owner_type: str = "Organization"
    description: str | None = None
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit sha
    commits: dict[str, Commit] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[str, str]] = field(default_factory=dict)  # tree sha -> (commit sha, dir)
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> Label
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission
    assignable: set[str] = field(default_factory=set)
    check_runs: list[CheckRun] = field(default_factory=list)
    next_number: int = 1
    pushed_at: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def html_url(self) -> str:
        return f"{HTML}/{self.full_name}"

    def head(self, branch: str | None = None) -> Commit | None:
        sha = self.branches.get(branch or self.default_branch)
        return self.commits.get(sha) if sha else None

    def resolve(self, ref: str | None) -> Commit:
        """A branch name, `refs/heads/x`, a full or abbreviated sha -> commit (404 otherwise)."""
        ref = ref or self.default_branch
        ref = ref.removeprefix("refs/heads/").removeprefix("heads/")
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        if ref in self.commits:
            return self.commits[ref]
        if len(ref) >= 7 and re.fullmatch(r"[0-9a-f]+", ref):
            found = [c for sha, c in self.commits.items() if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        raise not_found()

    def is_assignable(self, login: str) -> bool:
        low = login.lower()
        if low in {a.lower() for a in self.assignable}:
            return True
        return any(
            who.lower() == low and perm in ASSIGNABLE_PERMISSIONS
            for who, perm in self.collaborators.items()
        )

    def permission_of(self, login: str) -> str | None:
        for who, perm in self.collaborators.items():
            if who.lower() == login.lower():
                return perm
        return None


@dataclass
class Installation:
    id: int
    account: str
    account_type: str = "Organization"
    repository_selection: str = "selected"
    permissions: dict[str, str] = field(
        default_factory=lambda: {
            "issues": "write",
            "contents": "read",
            "checks": "write",
            "metadata": "read",
            "pull_requests": "read",
        }
    )
    suspended: bool = False


@dataclass
class Token:
    token: str
    kind: str  # "installation" | "personal"
    installation_id: int | None = None
    repos: set[str] | None = None  # lower-cased full names; None = every repo
    expires_at: datetime | None = None
    login: str = "octocat"


@dataclass
class RateBucket:
    limit: int = 5000
    used: int = 0
    reset: int = 0  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


# ---------------------------------------------------------------- the state


MENTION = re.compile(
    r"(?:https://github\.com/(?P<uo>[\w.-]+)/(?P<ur>[\w.-]+)/(?:issues|pull)/(?P<un>\d+))"
    r"|(?:(?<![\w/])(?P<o>[\w.-]+)/(?P<r>[\w.-]+)#(?P<n>\d+))"
    r"|(?:(?<![\w/#&])#(?P<sn>\d+)\b)"
)


class GitHubState:
    """Everything the fake knows. Methods named like `add_*` are the test API."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.repos: dict[str, Repo] = {}  # lower-cased full name -> Repo
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, Token] = {}
        self.buckets: dict[str, RateBucket] = {}
        self.comments_by_id: dict[int, Comment] = {}
        self.comment_reactions: dict[int, list[Reaction]] = {}
        self.issues_by_id: dict[int, Issue] = {}
        self.app_id: int | None = None
        self.app_client_id: str | None = None
        self.app_slug = "actionbot"
        self.app_public_key: str | None = None
        self.token_requests: list[int] = []  # installation id of every token minted
        self.hook_deliveries: list[dict[str, Any]] = []
        self.redelivery_attempts: list[int] = []
        self.manifest_codes: dict[str, dict[str, Any]] = {}
        self.commit_comments: dict[str, list[dict[str, Any]]] = {}  # lower-cased repo -> comments
        self._ids = itertools.count(1001)
        self._token_seq = itertools.count(1)
        self._commit_seq = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------ setup API

    def set_app(
        self,
        app_id: int,
        public_key_pem: str | bytes,
        *,
        slug: str = "actionbot",
        client_id: str | None = None,
    ) -> None:
        """Register the app whose RS256 JWTs the token endpoints accept."""
        self.app_id = int(app_id)
        self.app_public_key = (
            public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        )
        self.app_slug = slug
        self.app_client_id = client_id or f"Iv1.fake{app_id}"

    def add_installation(
        self, id: int, account: str = "octo-org", *, account_type: str = "Organization", **kw: Any
    ) -> Installation:
        inst = Installation(id=int(id), account=account, account_type=account_type, **kw)
        self.installations[inst.id] = inst
        return inst

    def add_repo(
        self,
        full_name: str,
        files: dict[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        installation_id: int | None = None,
        private: bool = False,
        owner_type: str = "Organization",
        description: str | None = None,
        message: str = "Initial commit",
    ) -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(
            id=self.next_id(),
            owner=owner,
            name=name,
            private=private,
            default_branch=default_branch,
            installation_id=installation_id,
            created_at=self.clock.now(),
            owner_type=owner_type,
            description=description,
        )
        self.repos[full_name.lower()] = repo
        self.commit(full_name, files or {}, message=message, branch=default_branch)
        return repo

    def repo(self, full_name: str | Repo) -> Repo:
        if isinstance(full_name, Repo):
            return full_name
        try:
            return self.repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"the fake has no repository {full_name!r}: add it with fake.add_repo") from None

    def commit(
        self,
        full_name: str | Repo,
        files: Mapping[str, str | bytes | None],
        *,
        message: str = "Update",
        branch: str | None = None,
        author: str = "octocat",
        renames: dict[str, str] | None = None,
    ) -> str:
        """Commit on top of `branch` (created from the default branch if new).

        `files` maps path -> new text (None deletes); `renames` maps old -> new
        path keeping the content (combine with `files` to rename and edit).
        Returns the new commit sha; history is kept for compare and trees.
        """
        repo = self.repo(full_name)
        branch = branch or repo.default_branch
        parent = repo.head(branch) or repo.head()
        tree = dict(parent.tree) if parent else {}
        for old, new in (renames or {}).items():
            tree[new] = tree.pop(old)
        for path, text in files.items():
            path = path.strip("/")
            if text is None:
                if path not in tree:
                    raise KeyError(f"cannot delete {path!r}: not in {repo.full_name}@{branch}")
                del tree[path]
                continue
            data = text.encode() if isinstance(text, str) else text
            sha = git_blob_sha(data)
            repo.blobs[sha] = data
            tree[path] = sha
        tree_sha = hashlib.sha1(repr(sorted(tree.items())).encode()).hexdigest()
        seq = next(self._commit_seq)
        sha = hashlib.sha1(
            f"{repo.full_name}\n{tree_sha}\n{parent.sha if parent else ''}\n{message}\n{seq}".encode()
        ).hexdigest()
        commit = Commit(
            sha=sha,
            tree=tree,
            parents=[parent.sha] if parent else [],
            message=message,
            author=author,
            date=self.clock.now(),
            tree_sha=tree_sha,
        )
        repo.commits[sha] = commit
        repo.branches[branch] = sha
        repo.pushed_at = commit.date
        self._index_trees(repo, commit)
        return sha

    def _index_trees(self, repo: Repo, commit: Commit) -> None:
        repo.trees[commit.tree_sha] = (commit.sha, "")
        for directory in directories(commit.tree):
            repo.trees[subtree_sha(commit.tree, directory)] = (commit.sha, directory)

    def add_branch(self, full_name: str, branch: str, from_ref: str | None = None) -> str:
        repo = self.repo(full_name)
        sha = repo.resolve(from_ref).sha
        repo.branches[branch] = sha
        return sha

    def add_collaborator(self, full_name: str, login: str, permission: str = "write") -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}, not {permission!r}")
        self.repo(full_name).collaborators[login] = permission

    def add_assignable(self, full_name: str, login: str) -> None:
        self.repo(full_name).assignable.add(login)

    def add_label(
        self, full_name: str, name: str, color: str = "ededed", description: str | None = None
    ) -> Label:
        repo = self.repo(full_name)
        if name.lower() in repo.labels:
            raise ValueError(f"label {name!r} exists in {full_name}")
        label = Label(id=self.next_id(), name=name, color=color, description=description)
        repo.labels[name.lower()] = label
        return label

    def ensure_label(self, repo: Repo, name: str) -> Label:
        label = repo.labels.get(name.lower())
        if label is None:
            label = Label(id=self.next_id(), name=name)
            repo.labels[name.lower()] = label
        return label

    def add_issue(
        self,
        full_name: str,
        title: str,
        body: str | None = "",
        *,
        labels: list[str] | tuple[str, ...] = (),
        assignees: list[str] | tuple[str, ...] = (),
        state: str = "open",
        state_reason: str | None = None,
        user: str = "someone",
        user_type: str = "User",
        pull_request: bool = False,
        merged: bool = False,
        merged_by: str | None = None,
        head_ref: str = "feature",
        base_ref: str | None = None,
        head_sha: str | None = None,
    ) -> Issue:
        """An issue (or, with pull_request=True, a PR) as if a person had made it."""
        repo = self.repo(full_name)
        issue = self.create_issue(
            repo,
            title=title,
            body=body,
            labels=list(labels),
            assignees=list(assignees),
            user=user,
            user_type=user_type,
            check_assignees=False,
        )
        issue.pull_request = pull_request
        issue.head_ref = head_ref
        issue.base_ref = base_ref or repo.default_branch
        tip = repo.head()
        issue.head_sha = head_sha or repo.branches.get(head_ref) or (tip.sha if tip else None)
        if merged:
            issue.merged = True
            issue.merged_by = merged_by or user
            issue.merged_at = self.clock.now()
            state = "closed"
        if state == "closed":
            self.set_state(issue, "closed", state_reason or "completed", actor=merged_by or user)
        return issue

    def add_pull(self, full_name: str, title: str, body: str | None = "", **kw: Any) -> Issue:
        return self.add_issue(full_name, title, body, pull_request=True, **kw)

    def add_comment(
        self, full_name: str, number: int, body: str, *, user: str = "someone", user_type: str = "User"
    ) -> Comment:
        return self.create_comment(self.issue(full_name, number), body, user=user, user_type=user_type)

    def close_issue(
        self, full_name: str, number: int, *, actor: str = "someone", reason: str = "completed"
    ) -> Issue:
        """Close as a person would (reason: completed | not_planned | duplicate)."""
        issue = self.issue(full_name, number)
        self.set_state(issue, "closed", reason, actor=actor)
        return issue

    def reopen_issue(self, full_name: str, number: int, *, actor: str = "someone") -> Issue:
        issue = self.issue(full_name, number)
        self.set_state(issue, "open", None, actor=actor)
        return issue

    def merge_pull(self, full_name: str, number: int, *, by: str = "someone") -> Issue:
        """Merge a PR: merged, merged_by, merged_at, closed."""
        issue = self.issue(full_name, number)
        if not issue.pull_request:
            raise ValueError(f"{full_name}#{number} is an issue, not a pull request")
        issue.merged, issue.merged_by, issue.merged_at = True, by, self.clock.now()
        self.set_state(issue, "closed", "completed", actor=by)
        return issue

    def add_token(
        self, token: str, *, repos: list[str] | None = None, login: str = "octocat"
    ) -> Token:
        """A personal/Actions token; `repos` limits what it can see (None: all)."""
        tok = Token(
            token=token,
            kind="personal",
            repos={r.lower() for r in repos} if repos is not None else None,
            login=login,
        )
        self.tokens[token] = tok
        return tok

    def add_hook_delivery(
        self,
        event: str,
        action: str | None = None,
        *,
        status_code: int = 200,
        guid: str | None = None,
        delivered_at: datetime | str | None = None,
        installation_id: int | None = None,
        repository_id: int | None = None,
        redelivery: bool = False,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a delivery in the app's delivery log (newest first, as GitHub lists it)."""
        import uuid

        if isinstance(delivered_at, str):
            delivered_at = parse_time(delivered_at)
        ok = 200 <= status_code < 400
        record = {
            "id": self.next_id(),
            "guid": guid or str(uuid.uuid4()),
            "delivered_at": iso(delivered_at or self.clock.now()),
            "redelivery": redelivery,
            "duration": 0.05,
            "status": "OK" if ok else (f"Invalid HTTP Response: {status_code:d}" if status_code else "timed out"),
            "status_code": status_code,
            "event": event,
            "action": action,
            "installation_id": installation_id,
            "repository_id": repository_id,
            "throttled_at": None,
            "payload": payload or {},
        }
        self.hook_deliveries.append(record)
        self.hook_deliveries.sort(key=lambda d: (d["delivered_at"], d["id"]), reverse=True)
        return record

    # ------------------------------------------------------------ inspection

    def issue(self, full_name: str | Repo, number: int) -> Issue:
        repo = self.repo(full_name)
        try:
            return repo.issues[int(number)]
        except KeyError:
            raise not_found() from None

    def comment(self, comment_id: int, repo: Repo | None = None) -> Comment:
        comment = self.comments_by_id.get(int(comment_id))
        if comment is None or (repo is not None and comment.repo.lower() != repo.full_name.lower()):
            raise not_found()
        return comment

    # ------------------------------------------------------------ mutations GitHub makes

    def create_issue(
        self,
        repo: Repo,
        *,
        title: str,
        body: str | None,
        labels: list[str],
        assignees: list[str],
        user: str,
        user_type: str = "User",
        check_assignees: bool = True,
    ) -> Issue:
        if check_assignees:
            bad = [a for a in assignees if not repo.is_assignable(a)]
            if bad:
                raise validation_failed(
                    [{"value": a, "resource": "Issue", "field": "assignees", "code": "invalid"} for a in bad]
                )
        now = self.clock.now()
        issue = Issue(
            id=self.next_id(),
            repo=repo.full_name,
            number=repo.next_number,
            title=str(title),
            body=body,
            user=user,
            user_type=user_type,
            created_at=now,
            updated_at=now,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self.issues_by_id[issue.id] = issue
        self.set_labels(repo, issue, labels, actor=user)
        issue.assignees = dedupe(assignees)
        self.record_mentions(repo, issue, body or "", source_comment=None)
        return issue

    def set_labels(self, repo: Repo, issue: Issue, names: list[str], *, actor: str) -> None:
        names = dedupe([self.ensure_label(repo, n).name for n in names])
        before = {n.lower() for n in issue.labels}
        after = {n.lower() for n in names}
        for n in names:
            if n.lower() not in before:
                self.event(issue, "labeled", actor, label={"name": n, "color": repo.labels[n.lower()].color})
        for n in issue.labels:
            if n.lower() not in after:
                label = repo.labels.get(n.lower())
                self.event(issue, "unlabeled", actor, label={"name": n, "color": label.color if label else "ededed"})
        if before != after:
            issue.updated_at = self.clock.now()
        issue.labels = names

    def set_state(self, issue: Issue, state: str, reason: str | None, *, actor: str) -> None:
        if state == issue.state:
            if state == "closed" and reason:
                issue.state_reason = reason
            return
        now = self.clock.now()
        issue.state = state
        issue.updated_at = now
        if state == "closed":
            issue.closed_at = now
            issue.closed_by = actor
            issue.state_reason = reason or "completed"
            self.event(issue, "closed", actor, state_reason=issue.state_reason)
        else:
            issue.closed_at = None
            issue.closed_by = None
            issue.state_reason = "reopened"
            self.event(issue, "reopened", actor)

    def create_comment(self, issue: Issue, body: str, *, user: str, user_type: str = "User") -> Comment:
        now = self.clock.now()
        comment = Comment(
            id=self.next_id(),
            repo=issue.repo,
            issue_number=issue.number,
            body=body,
            user=user,
            user_type=user_type,
            created_at=now,
            updated_at=now,
        )
        self.comments_by_id[comment.id] = comment
        issue.comment_ids.append(comment.id)
        issue.updated_at = now
        self.record_mentions(self.repo(issue.repo), issue, body, source_comment=comment)
        return comment

    def event(self, issue: Issue, kind: str, actor: str, **extra: Any) -> None:
        issue.timeline.append(
            {"event": kind, "actor": actor, "id": self.next_id(), "created_at": self.clock.now(), **extra}
        )

    def record_mentions(self, repo: Repo, source: Issue, text: str, *, source_comment: Comment | None) -> None:
        """A body or comment naming another issue of the fake cross-references it."""
        for match in MENTION.finditer(text or ""):
            if match["un"]:
                target_repo, number = f"{match['uo']}/{match['ur']}", int(match["un"])
            elif match["n"]:
                target_repo, number = f"{match['o']}/{match['r']}", int(match["n"])
            else:
                target_repo, number = repo.full_name, int(match["sn"])
            target_r = self.repos.get(target_repo.lower())
            target = target_r.issues.get(number) if target_r else None
            if target is None or target is source:
                continue
            if any(
                e["event"] == "cross-referenced" and e["source_issue_id"] == source.id
                for e in target.timeline
            ):
                continue
            actor = source_comment.user if source_comment else source.user
            self.event(target, "cross-referenced", actor, source_issue_id=source.id)

    def update_issue(self, repo: Repo, issue: Issue, fields: Mapping[str, Any], *, actor: str) -> Issue:
        """PATCH an issue: title, body, labels, assignees (all must be assignable), state."""
        if "assignees" in fields:
            bad = [a for a in fields["assignees"] or [] if not repo.is_assignable(a)]
            if bad:
                raise validation_failed(
                    [{"value": a, "resource": "Issue", "field": "assignees", "code": "invalid"} for a in bad]
                )
        changed = False
        if "title" in fields and fields["title"] != issue.title:
            issue.title, changed = str(fields["title"]), True
        if "body" in fields and fields["body"] != issue.body:
            issue.body, changed = fields["body"], True
            if fields["body"]:
                self.record_mentions(repo, issue, fields["body"], source_comment=None)
        if "labels" in fields and fields["labels"] is not None:
            self.set_labels(repo, issue, label_names(fields["labels"]), actor=actor)
        if "assignees" in fields:
            new = list(fields["assignees"] or [])
            if [a.lower() for a in new] != [a.lower() for a in issue.assignees]:
                issue.assignees, changed = new, True
        if fields.get("state") in ("open", "closed"):
            self.set_state(issue, fields["state"], fields.get("state_reason"), actor=actor)
        elif fields.get("state_reason") and issue.state == "closed":
            issue.state_reason = fields["state_reason"]
        if changed:
            issue.updated_at = self.clock.now()
        return issue

    def add_assignees(self, repo: Repo, issue: Issue, logins: list[str]) -> Issue:
        """Assignable logins join (others are dropped silently, as GitHub does), ten at most."""
        new = dedupe(issue.assignees + [a for a in logins if repo.is_assignable(a)])[:10]
        if new != issue.assignees:
            issue.assignees = new
            issue.updated_at = self.clock.now()
        return issue

    def remove_assignees(self, issue: Issue, logins: list[str]) -> Issue:
        gone = {a.lower() for a in logins}
        new = [a for a in issue.assignees if a.lower() not in gone]
        if new != issue.assignees:
            issue.assignees = new
            issue.updated_at = self.clock.now()
        return issue

    def remove_issue_label(self, repo: Repo, issue: Issue, name: str, *, actor: str) -> None:
        low = name.lower()
        if low not in {n.lower() for n in issue.labels}:
            raise GitHubError(404, "Label does not exist")
        self.set_labels(repo, issue, [n for n in issue.labels if n.lower() != low], actor=actor)

    def create_label(self, repo: Repo, name: Any, color: Any, description: str | None) -> Label:
        """POST a label: 422 when the name is missing or taken, or the colour is not six hex digits."""
        if not name:
            raise validation_failed([{"resource": "Label", "code": "missing_field", "field": "name"}])
        if str(name).lower() in repo.labels:
            raise validation_failed([{"resource": "Label", "code": "already_exists", "field": "name"}])
        return self.add_label(repo.full_name, str(name), check_color(color), description)

    def update_comment(self, repo: Repo, comment: Comment, body: Any) -> Comment:
        if not isinstance(body, str):
            raise validation_failed([{"resource": "IssueComment", "code": "missing_field", "field": "body"}])
        if body != comment.body:
            comment.body = body
            comment.updated_at = self.clock.now()
            self.record_mentions(repo, repo.issues[comment.issue_number], body, source_comment=comment)
        return comment

    def delete_comment(self, repo: Repo, comment: Comment) -> None:
        repo.issues[comment.issue_number].comment_ids.remove(comment.id)
        del self.comments_by_id[comment.id]

    def react(self, bucket: list[Reaction], content: Any, user: str, user_type: str = "User") -> tuple[Reaction, bool]:
        """A reaction (and whether it is new: reacting twice returns the first one)."""
        if content not in REACTIONS:
            raise validation_failed([{"resource": "Reaction", "code": "invalid", "field": "content"}])
        for x in bucket:
            if x.content == content and x.user.lower() == user.lower():
                return x, False
        x = Reaction(self.next_id(), content, user, self.clock.now(), user_type)
        bucket.append(x)
        return x, True

    def add_sub_issue(self, parent: Issue, sub_issue_id: int, *, replace_parent: bool = False) -> Issue:
        """Make an issue (by id) a sub-issue of `parent`: 422 for itself, a twin, a full parent, a second parent."""
        child = self.issues_by_id.get(sub_issue_id)
        if child is None:
            raise not_found()
        if child is parent or child.id in parent.sub_issue_ids:
            raise validation_failed([{"resource": "Issue", "code": "invalid", "field": "sub_issue_id"}])
        if len(parent.sub_issue_ids) >= MAX_SUB_ISSUES:
            raise validation_failed([{"resource": "Issue", "code": "custom", "field": "sub_issue_id", "message": f"Parent issue may not have more than {MAX_SUB_ISSUES} sub-issues"}])
        if child.parent_id is not None and not replace_parent:
            raise validation_failed([{"resource": "Issue", "code": "custom", "field": "sub_issue_id", "message": "Issue may not contain duplicate sub-issues and Sub issue may only have one parent"}])
        if child.parent_id is not None:
            self.issues_by_id[child.parent_id].sub_issue_ids.remove(child.id)
        parent.sub_issue_ids.append(child.id)
        child.parent_id = parent.id
        return parent

    def create_check_run(self, repo: Repo, fields: Mapping[str, Any]) -> CheckRun:
        """POST a check run: a conclusion completes it; `head_sha` must name a commit (404 otherwise)."""
        if not fields.get("name") or not fields.get("head_sha"):
            missing = "name" if not fields.get("name") else "head_sha"
            raise validation_failed([{"resource": "CheckRun", "code": "missing_field", "field": missing}])
        head_sha = repo.resolve(fields["head_sha"]).sha
        now = self.clock.now()
        conclusion = fields.get("conclusion")
        status = "completed" if conclusion else fields.get("status", "queued")
        completed = parse_time(fields["completed_at"]) if fields.get("completed_at") else now
        cr = CheckRun(
            id=self.next_id(),
            repo=repo.full_name,
            name=fields["name"],
            head_sha=head_sha,
            status=status,
            conclusion=conclusion,
            started_at=parse_time(fields["started_at"]) if fields.get("started_at") else now,
            completed_at=completed if status == "completed" else None,
            external_id=fields.get("external_id"),
            details_url=fields.get("details_url"),
            output=dict(fields.get("output") or {}),
            app_slug=self.app_slug,
        )
        repo.check_runs.append(cr)
        return cr

    def check_runs_at(self, repo: Repo, ref: str, name: str | None = None) -> list[CheckRun]:
        """The check runs on the commit `ref` names (newest first), optionally only those called `name`."""
        sha = repo.resolve(ref).sha
        return sorted(
            (c for c in repo.check_runs if c.head_sha == sha and (name is None or c.name == name)),
            key=lambda c: -c.id,
        )

    def mint_token(self, installation_id: int, repos: list[str] | None = None) -> Token:
        seq = next(self._token_seq)
        token = Token(
            token=f"ghs_fake{installation_id}x{seq:04d}" + "0" * 20,
            kind="installation",
            installation_id=installation_id,
            repos={r.lower() for r in repos} if repos else None,
            expires_at=self.clock.now() + timedelta(hours=1),
            login=f"{self.app_slug}[bot]",
        )
        self.tokens[token.token] = token
        self.token_requests.append(installation_id)
        return token

    def installation_repos(self, installation_id: int) -> list[Repo]:
        return [r for r in self.repos.values() if r.installation_id == installation_id]


def filter_issues(repo: Repo, query: Mapping[str, str]) -> list[Issue]:
    """Issues and pull requests as `GET /repos/{o}/{r}/issues` selects and orders them for `query`."""
    q = query
    state = q.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation_failed([{"resource": "Issue", "field": "state", "code": "invalid"}])
    items = [i for i in repo.issues.values() if state == "all" or i.state == state]
    if q.get("labels"):
        wanted = {n.strip().lower() for n in q["labels"].split(",") if n.strip()}
        items = [i for i in items if wanted <= {n.lower() for n in i.labels}]
    if "since" in q:
        since = parse_time(q["since"])
        items = [i for i in items if i.updated_at >= since]
    if "assignee" in q:
        a = q["assignee"]
        if a == "none":
            items = [i for i in items if not i.assignees]
        elif a == "*":
            items = [i for i in items if i.assignees]
        else:
            items = [i for i in items if a.lower() in {x.lower() for x in i.assignees}]
    if "creator" in q:
        items = [i for i in items if i.user.lower() == q["creator"].lower()]
    sort = q.get("sort", "created")
    key: Callable[[Issue], tuple[Any, int]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(i.comment_ids), i.number),
    }.get(sort, lambda i: (i.created_at, i.number))
    return sorted(items, key=key, reverse=q.get("direction", "desc") != "asc")


def ancestors(repo: Repo, sha: str) -> list[str]:
    """`sha` and the commits it descends from, nearest first (also what a push payload lists)."""
    out, todo, seen = [], [sha], set()
    while todo:
        s = todo.pop(0)
        if s in seen or s not in repo.commits:
            continue
        seen.add(s)
        out.append(s)
        todo.extend(repo.commits[s].parents)
    return out


def label_names(raw: Any) -> list[str]:
    """Label names from a request body's list of names or label objects."""
    return [item["name"] if isinstance(item, dict) else str(item) for item in raw or []]


def check_color(color: Any) -> str:
    color = str(color or "ededed").lstrip("#")
    if len(color) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in color):
        raise validation_failed([{"resource": "Label", "code": "invalid", "field": "color"}])
    return color.lower()


def dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        if n.lower() not in seen:
            seen.add(n.lower())
            out.append(n)
    return out


def directories(tree: dict[str, str]) -> set[str]:
    dirs = set()
    for path in tree:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return dirs


def subtree_sha(tree: dict[str, str], directory: str) -> str:
    prefix = directory + "/"
    inner = sorted((p, s) for p, s in tree.items() if p.startswith(prefix))
    return hashlib.sha1(repr((directory.rsplit("/", 1)[-1], inner)).encode()).hexdigest()
