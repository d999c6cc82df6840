"""Faults the fake injects, per route and method, consumed `times` times.

Kinds (keyword arguments in brackets):
- `status` [status=502, message]: answer that status instead of doing the work.
- `secondary_limit` [status=403, retry_after=1]: GitHub's secondary rate limit
  answer, with `retry-after` and the message GitHub sends.
- `rate_limit` [status=403, reset_in=1]: primary limit exhausted:
  `x-ratelimit-remaining: 0` and `x-ratelimit-reset` `reset_in` seconds ahead.
- `latency` [seconds=0.2]: wait, then answer normally.
- `drop`: close the connection without answering (nothing is applied).
- `lost_answer` [answer="502"|"drop"]: apply the request, then answer 502 or
  drop the connection: "the write happened but the answer was lost".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = {"status", "secondary_limit", "rate_limit", "latency", "drop", "lost_answer"}

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
)
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
PRIMARY_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-the-primary-rate-limit"
)


@dataclass
class Fault:
    method: str  # "*" for any
    path_regex: str
    kind: str
    times: int = 1
    kw: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.fired < self.times
            and (self.method == "*" or self.method.upper() == method.upper())
            and re.search(self.path_regex, path) is not None
        )


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, method: str, path_regex: str, kind: str, times: int = 1, **kw: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(KINDS)}")
        fault = Fault(method, path_regex, kind, times, kw)
        self.pending.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault with uses left, now consumed once."""
        for fault in self.pending:
            if fault.matches(method, path):
                fault.fired += 1
                return fault
        return None

    def clear(self) -> None:
        self.pending.clear()

    @property
    def unfired(self) -> list[Fault]:
        return [f for f in self.pending if f.fired < f.times]
