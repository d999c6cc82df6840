"""Which lines of the notes are action labels ("II. Next actions (all)", "Action Items:").

A label is a line whose whole text, once markdown is stripped, is an action
phrase, possibly with a qualifier that names no task: a scope `(team)`, an owner
`(RK)` or `Lena: her action items`, a time `after the sprint`, an ordering
`in order of urgency`. Anything else ("Prior action items", "Next steps
involving the agenda", "Possible actions/ ideas") is prose, not a label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_PHRASES: tuple[str, ...] = (
    "next actions",
    "actions",
    "action items",
    "action item",
    "actions items",
    "action points",
    "action",
    "next steps",
    "follow ups",
    "follow-ups",
    "follow up items",
    "follow-up items",
    "todo",
)

_ENUM = re.compile(r"^(?:#+\s*)?(?:(?:[IVXLC]+|[ivxlc]+|\d+(?:\.\d+)*)[.)]\s+)?")
_TRAIL = re.compile(r"[\s:\-–—]+$")
_POSSESSIVE = r"(?:(?:my|her|his|their|our|your)\s+)?"
_QUALIFIER = (
    r"(?:\s*(?P<q>\([^()]{1,40}\)"
    r"|(?:after|for|from|until|by|before|in\s+order\s+of|in\s+priority\s+order|to\s+be\s+done|due|this|next)\b[^()]{0,40}))?"
)
# Headings that review earlier actions: their lists were opened from earlier notes.
REVIEW = re.compile(
    r"\b(?:previous|prior|past|last|earlier|old|review(?:\s+of)?(?:\s+the)?)\s+(?:\w+\s+)?"
    r"(?:action|next step|follow)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Label:
    """A recognised action label: its phrase and the qualifier or owner written with it."""

    text: str  # the label as plain text, e.g. "II. Next actions (all)"
    phrase: str  # normalised phrase, e.g. "next actions"
    qualifier: str  # "" or "(all)", "(RK)", "after the sprint", ...
    owner: str  # "" or the owner written in front ("Lena" in "Lena: her action items")


def _norm(phrase: str) -> str:
    return re.sub(r"[\s\-]+", " ", phrase.strip().casefold())


@lru_cache(maxsize=32)
def _label_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted({_norm(p) for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"[\s\-]+") for a in alts) or r"(?!)"
    return re.compile(
        rf"^(?:(?P<owner>[^:()]{{1,40}}):\s+{_POSSESSIVE})?(?P<phrase>{body}){_QUALIFIER}$",
        re.IGNORECASE,
    )


def match_label(plain: str, phrases: Iterable[str] = ()) -> Label | None:
    """The label on a line of plain text, or None when the line is not one."""
    if len(plain) > 120 or not plain.strip():
        return None
    text = _TRAIL.sub("", _ENUM.sub("", plain.strip(), count=1))
    if not text:
        return None
    extra = tuple(phrases)
    m = _label_re(DEFAULT_PHRASES + extra).match(text)
    if not m:
        return None
    return Label(
        text=plain.strip(),
        phrase=_norm(m.group("phrase")),
        qualifier=(m.group("q") or "").strip(),
        owner=(m.group("owner") or "").strip(),
    )


@lru_cache(maxsize=32)
def label_hint(phrases: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Cheap test on the raw line before any plain-text work: most lines never get further."""
    words = {"action", "next", "follow", "todo"}
    for p in phrases:
        w = _norm(p).split()
        if w:
            words.add(w[0])
    return re.compile("|".join(sorted(re.escape(w) for w in words)), re.IGNORECASE)
