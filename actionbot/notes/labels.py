"""Which lines of the notes are action labels ("II. Next actions (all)", "Action Items:").

A label is a line whose whole text, once markdown is stripped, is an action
phrase (or its plural: `TODOs`), possibly with a qualifier that names no task:
a scope `(team)`, an owner `(RK)`, `Lena: her action items` or
`Action items: @lena will`, a time `after the sprint`, an ordering `in order
of urgency`, or one or two words in front that describe the actions
(`Workshop TODOs`, `Concrete next steps`). Anything else ("Next steps
involving the agenda", "Possible actions/ ideas", "Discuss next steps") is
prose, not a label; a label about earlier actions ("Prior action items",
"TODO items from last meeting", "Action items completed") is a review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from actionbot.notes.owners import VERBS, valid_name

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
# Labels that review earlier actions: their lists were opened from earlier notes.
REVIEW = re.compile(
    r"\b(?:previous|prior|past|last|earlier|old|review(?:\s+of)?(?:\s+the)?)\s+(?:\w+\s+)?"
    r"(?:action|next step|follow)"
    r"|\b(?:from|since|of)[ \t]+(?:the[ \t]+)?(?:last|previous|prior|earlier|past)[ \t]+\w"
    r"|\b(?:previous|prior|earlier|past)[ \t]+(?:meeting|call|session|sync|week)"
    r"|\b(?:completed|done|finished|closed)[\s:.*]*$",
    re.IGNORECASE,
)
# Words in front of a phrase that make it no label: actions not agreed ("Possible
# actions"), earlier ones ("Old action items"), or a task on them ("Discuss next steps").
_NOT_BEFORE = frozenset(
    """possible potential proposed suggested candidate draft some any no other more few previous prior past
    last earlier old older completed done closed finished resolved actioned addressed handled discussed open pending remaining outstanding existing our
    the a an these those this that my your his her their its about on re with and or of for to from in""".split()
) - {"our", "the", "my", "your", "his", "her", "their"}
# A time box in the qualifier makes the line an agenda topic: "Next steps (Ana, 15 min)".
_TIMEBOX = re.compile(r"\d{1,3}[ \t]?(?:m|min|mins|minutes|h|hr|hrs|hours)\b|\b(?:min|mins|minutes)\b", re.IGNORECASE)
_BEFORE_WORD = re.compile(r"[A-Za-z][\w'’-]{0,24}")


@dataclass(frozen=True)
class Label:
    """A recognised action label: its phrase and the qualifier or owner written with it."""

    text: str  # the label as plain text, e.g. "II. Next actions (all)"
    phrase: str  # normalised phrase, e.g. "next actions"
    qualifier: str  # "" or "(all)", "(RK)", "after the sprint", ...
    owner: str  # "" or the owner written with it ("Lena" in "Lena: her action items", "@lena will")


def _norm(phrase: str) -> str:
    return re.sub(r"[\s\-]+", " ", phrase.strip().casefold())


def _alternative(phrase: str) -> str:
    """A phrase as a pattern: any run of spaces or hyphens between its words, `s` for its plural."""
    pat = re.escape(phrase).replace(r"\ ", r"[ \t\-]{1,3}")
    return pat if phrase.endswith("s") else pat + "s?"


@lru_cache(maxsize=32)
def _label_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted({_norm(p) for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(_alternative(a) for a in alts) or r"(?!)"
    return re.compile(
        rf"^(?:(?P<owner>[^:()]{{1,40}}):\s+{_POSSESSIVE})?"
        rf"(?P<before>(?:[A-Za-z][\w'’-]{{0,24}}[ \t]{{1,3}}){{1,2}})??"
        rf"(?P<phrase>{body})"
        rf"(?:{_QUALIFIER}|[ \t]*:[ \t]*(?P<who>[^:()]{{1,40}}?)[ \t]{{1,3}}(?:will|to|should|must|shall))$",
        re.IGNORECASE,
    )


def _before_ok(before: str) -> bool:
    """Words in front of the phrase describe the actions ("Workshop", "Concrete"), never a task."""
    words = [w.casefold() for w in _BEFORE_WORD.findall(before)]
    if not words or words[0] in VERBS or any(w in _NOT_BEFORE for w in words):
        return False
    return not any(w.endswith("ly") for w in words)  # "Recently completed action items"


def _who(who: str) -> str | None:
    """The owner in `Action items: @lena will`, when every part of it is a name."""
    parts = [p.strip() for p in re.split(r",|/|&|\band\b", who)]
    return who.strip() if parts and all(p and valid_name(p) for p in parts) else None


def is_review(plain: str) -> bool:
    """A label line about earlier actions ("Previous action items", "TODOs from last meeting")."""
    return REVIEW.search(plain) is not None


def match_label(plain: str, phrases: Iterable[str] = ()) -> Label | None:
    """The label on a line of plain text, or None when the line is not one."""
    if len(plain) > 120 or not plain.strip():
        return None
    text = _TRAIL.sub("", _ENUM.sub("", plain.strip(), count=1))
    if not text:
        return None
    extra = tuple(phrases)
    m = _label_re(DEFAULT_PHRASES + extra).match(text)
    if not m or (m.group("before") and not _before_ok(m.group("before"))):
        return None
    if m.group("q") and _TIMEBOX.search(m.group("q")):
        return None  # an agenda topic named with the phrase
    owner = (m.group("owner") or "").strip()
    if m.group("who"):
        found = _who(m.group("who"))
        if found is None:
            return None  # "Action items: someone will" is a sentence, not a label
        owner = found
    phrase = _norm(m.group("phrase"))
    known = {_norm(p) for p in DEFAULT_PHRASES + extra}
    if phrase not in known and phrase[:-1] in known:
        phrase = phrase[:-1]  # "todos" is the phrase "todo"
    return Label(text=plain.strip(), phrase=phrase, qualifier=(m.group("q") or "").strip(), owner=owner)


@lru_cache(maxsize=32)
def label_hint(phrases: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Cheap test on the raw line before any plain-text work: most lines never get further."""
    words = {"action", "next", "follow", "todo"}
    for p in phrases:
        w = _norm(p).split()
        if w:
            words.add(w[0])
    return re.compile("|".join(sorted(re.escape(w) for w in words)), re.IGNORECASE)
