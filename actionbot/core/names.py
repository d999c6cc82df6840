"""GitHub's rules for names: a repository's OWNER/NAME, a user's login, a commit's full sha."""

from __future__ import annotations

import re

# Use with fullmatch.
REPO_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


def is_full_sha(ref: str | None) -> bool:
    """A commit's 40 hex digits (a ref that can not move), not a branch or tag."""
    return ref is not None and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower())
