"""A stateful fake GitHub REST server for actionbot's tests (see server.py)."""

from .server import FakeGitHub, RequestRecord
from .state import GitHubError

__all__ = ["FakeGitHub", "GitHubError", "RequestRecord"]
