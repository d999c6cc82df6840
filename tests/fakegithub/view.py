"""The fake's state with the test's inspection calls: what both fakes show a test.

`FakeGitHub` (over HTTP) and `tests/fakestore.MemoryStore` (in memory) are
both a `GitHubView`, so a test reads issues, comments, labels and check runs
the same way, rendered exactly as GitHub's API would answer, whichever fake
the code under test talked to.
"""

from __future__ import annotations

from typing import Any

from . import render
from .state import GitHubState


class GitHubView(GitHubState):
    """`GitHubState` plus rendered inspection; `url` is the API root links point at."""

    def __init__(self, url: str = "") -> None:
        super().__init__()
        self.url = url

    def issues(self, full_name: str, *, include_pulls: bool = False) -> list[dict[str, Any]]:
        """Every issue of the repo (open and closed), rendered as the API would, by number."""
        repo = self.repo(full_name)
        return [
            render.issue(self.url, self, i)
            for _, i in sorted(repo.issues.items())
            if include_pulls or not i.pull_request
        ]

    def issue_json(self, full_name: str, number: int) -> dict[str, Any]:
        return render.issue(self.url, self, self.issue(full_name, number))

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        issue = self.issue(full_name, number)
        return [render.comment(self.url, self, self.comments_by_id[c]) for c in issue.comment_ids]

    def labels(self, full_name: str) -> list[dict[str, Any]]:
        repo = self.repo(full_name)
        return [render.label(self.url, repo, lab) for lab in repo.labels.values()]

    def check_runs(self, full_name: str) -> list[dict[str, Any]]:
        repo = self.repo(full_name)
        return [render.check_run(self.url, self, repo, c) for c in repo.check_runs]

    def reactions(self, full_name: str, number: int | None = None, *, comment_id: int | None = None) -> list[dict[str, Any]]:
        if comment_id is not None:
            found = self.comment_reactions.get(comment_id, [])
        else:
            assert number is not None, "give an issue number or a comment_id"
            found = self.issue(full_name, number).reactions
        return [render.reaction(self.url, x) for x in found]

    def timeline(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return render.timeline(self.url, self, self.repo(full_name), self.issue(full_name, number))

    def file(self, full_name: str, path: str, ref: str | None = None) -> str | None:
        """A file's text at ref (default branch), None when absent."""
        repo = self.repo(full_name)
        commit = repo.resolve(ref)
        sha = commit.tree.get(path)
        return repo.blobs[sha].decode() if sha else None
