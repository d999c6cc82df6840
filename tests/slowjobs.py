"""Jobs for the worker tests that run past any budget, after saying how far they got.

They live in a helper module, not a test module, because the worker process
imports them by name to run them.
"""

from __future__ import annotations

import threading
from typing import Any

from actionbot.engine import worker
from actionbot.notes.parse import parse_notes

STUCK_LINE = 7


def stuck_at(line: int) -> None:
    """Report `line`, then never finish (the worker is killed past its budget)."""
    worker.progress(line)
    threading.Event().wait()


def stuck_reading(text: str, config: Any, context: Any) -> None:
    """Stands in for the read job: stuck at STUCK_LINE of any file."""
    stuck_at(STUCK_LINE)


def read_then_stuck(text: str) -> None:
    """Parse `text` as the read job does (reporting progress), then never finish."""
    parse_notes(text, path="n.md", repo="o/r", progress=worker.progress)
    threading.Event().wait()
