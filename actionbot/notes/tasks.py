"""Which items of a section are tasks of their own, and who owns each one in the end.

An item opens an issue when it is not done and reads as a task: not a status
line ("on hold", "FYI"), not a statement of how things are, not a grouping label
whose children are the tasks, not a sub-item that only details its parent.
Owners come from the item's own text, then from a sub-item that only states
ownership, then from the section's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from actionbot.notes.blocks import Node
from actionbot.notes.model import Item
from actionbot.notes.owners import VERBS, Owners
from actionbot.notes.sections import Sec

# Status and information rather than a task: a paused topic, an FYI, a decision to
# leave something as it is, or a line that opens with an information label.
_STATUS = re.compile(
    r"\bon\s+(?:pause|hold)\b|^(?:heads[\s-]up|fyi)\b|"
    r"\b(?:leave|keep)\s+(?:it\s+|this\s+|them\s+)?(?:open|as\s+is)\b|\bno\s+action\s+(?:needed|required)\b|"
    r"^(?:benefits?|advantages?|drawbacks?|downsides?|upsides?|context|background|notes?|nb|info|status|rationale|"
    r"motivation|reasons?|outcomes?|results?|conclusions?|pros|cons|caveats?|observations?|remarks?|updates?|progress|"
    r"wip|eta|ideas?|options?|alternatives?)\s*:|"
    # waiting or holding: nothing to do until something else happens
    r"^(?:still[ \t]+)?(?:waiting[ \t]+(?:for|on)|blocked[ \t]+(?:on|by)|holding[ \t]+off|parked|pending)\b|"
    # a line that reports what was done ("Merged the fix", "Done.")
    r"^(?:done|merged|shipped|released|fixed|resolved|completed|finished)\b",
    re.IGNORECASE,
)
# A statement about how things are ("X is testing it", "X is a later topic", "Y had
# not planned to ..."): a short subject, then a form of be/have that is not the
# start of a commitment ("is going to", "has to", "is happy to").
_STATEMENT = re.compile(
    r"^(?P<subject>[^\s,;:?!()]+(?:\s+[^\s,;:?!()]+){0,5}?)\s+(?:is|are|was|were|had|has\s+been|have\s+been)\b"
    r"(?!\s+(?:to|going|about|happy|willing|responsible|needed|required|volunteering|planning|meant)\b)",
    re.IGNORECASE,
)
_NOT_SUBJECT = frozenset(
    "we i you let's lets there it this here someone somebody anyone anybody everyone everybody who what "
    "when where why how which whether if should can could would do does did".split()
)
_TASK_START = re.compile(
    r"^(?:please\b|need\s+to\b|needs\s+to\b|we\s+(?:should|need|will|must|can)\b|let'?s\b|to\s+do\b)",
    re.IGNORECASE,
)
_FIRST_WORD = re.compile(r"[A-Za-z][\w'-]*")
_PROPOSAL = re.compile(r"\b(?:should|can|could|shall)\s+we\b|\bwe\s+(?:should|need|must)\b", re.IGNORECASE)
_URL_START = re.compile(r"^(?:https?://|www\.)|:\s*<?https?://\S+>?\s*$")


@dataclass
class Found:
    """One section item while it is judged: the item so far and what it was read from."""

    item: Item
    node: Node
    own: Owners  # owners written in the item's own text
    sec: Sec
    children: list[int] = field(default_factory=list)
    checkbox: bool = False  # written with its own `[ ]` / `[x]`


def is_statement(text: str) -> bool:
    """A declarative status line, not a task: no imperative, no question, no commitment."""
    m = _STATEMENT.match(text)
    if not m or "?" in text[: m.end() + 80]:
        return False
    words = _FIRST_WORD.findall(m.group("subject"))
    if not words or words[0].casefold() in VERBS:
        return False  # "Make sure the docs are ...": an imperative
    return not any(w.casefold() in _NOT_SUBJECT for w in words)


def looks_like_task(text: str, owned: bool) -> bool:
    """Whether a line reads as a task (imperative, "we should", an owner), not a topic."""
    if owned or _TASK_START.match(text) or _PROPOSAL.search(text):
        return True
    words = _FIRST_WORD.findall(text[:80])
    k = 0
    while k < len(words) - 1 and (words[k].casefold().endswith("ly") or words[k].casefold() in ("more", "also", "then")):
        k += 1  # "Temporarily make ...", "More tightly couple ..."
    if not words:
        return False
    w = words[k].casefold()
    return w in VERBS or (len(w) > 5 and w.endswith(("ify", "ize", "ise", "ing")))


def _gerund(text: str) -> bool:
    words = _FIRST_WORD.findall(text[:40])
    return bool(words) and len(words[0]) > 5 and words[0].casefold().endswith("ing") and words[0].casefold() not in VERBS


def _is_task_child(c: Found, mostly: bool = True) -> bool:
    """A sub-item written as a task of its own: its own checkbox, its own owner, or an
    imperative among siblings that are mostly tasks too (`mostly`: "Read the docs /
    PyPI / Analytics" enumerates a scope)."""
    it = c.item
    if c.checkbox or (bool(it.owners) and not c.own.ownership_only):
        return True
    return mostly and _imperative(it.text)


def _mostly_tasks(siblings: list[Found]) -> bool:
    """Whether most siblings (questions aside) are tasks: an enumeration is mostly nouns."""
    listed = [s for s in siblings if not s.item.text.rstrip().endswith("?")]
    tasks = sum(1 for s in listed if s.checkbox or (s.item.owners and not s.own.ownership_only) or _imperative(s.item.text))
    return 2 * tasks > len(listed)


_ROLE = re.compile(r"^[^:]{1,40}:\s")


def _imperative(text: str) -> bool:
    """Starts with a verb in the imperative, not with a role or a label ("Support steward: ...")."""
    words = _FIRST_WORD.findall(text[:40])
    return bool(words) and words[0].casefold() in VERBS and not _ROLE.match(text)


def _grouping(found: list[Found]) -> list[bool]:
    """Items that only group tasks: not a task themselves, and an open child is one.

    A topic ("Our logs"), a gerund over a checklist ("Moving the docs"), a question
    its children answer, or owners alone (`@dana will:`) whose sub-items are the tasks.
    """
    out = []
    for f in found:
        it = f.item
        kids = [found[c] for c in f.children if not found[c].item.done]
        if not kids or it.done:
            out.append(False)
        elif f.own.names_only:
            out.append(True)
        elif it.owners:
            out.append(False)
        elif not looks_like_task(it.text, False):
            out.append(any(looks_like_task(c.item.text, bool(c.item.owners)) for c in kids))
        else:
            out.append((_gerund(it.text) or it.text.rstrip().endswith("?")) and any(_is_task_child(c) for c in kids))
    return out


def _opens(f: Found, k: int, found: list[Found], grouping: list[bool], mostly: dict[int, bool]) -> tuple[bool, str]:
    """Whether an item opens an issue, and (when a guess decided it did not) why."""
    it = f.item
    if it.done:
        return False, ""
    if it.parent is not None and not grouping[it.parent]:
        # a sub-item of a task details it, unless it is written as a task of its own;
        # under a checked item only an open checkbox of its own is still to do
        parent = found[it.parent]
        if parent.item.done and not f.checkbox:
            return False, ""
        if it.parent not in mostly:
            mostly[it.parent] = _mostly_tasks([found[c] for c in parent.children])
        return _is_task_child(f, mostly[it.parent]) and not _STATUS.search(it.text) and not it.text.rstrip().endswith("?"), ""
    if grouping[k] or _STATUS.search(it.text) or (it.parent is not None and _URL_START.search(it.text)):
        return False, ""
    if f.own.names_only:
        return False, ""
    if not it.owners and is_statement(it.text):
        return False, "reads as a statement of how things are, not a task"
    if f.node.plain_line and not it.owners and not looks_like_task(it.text, False):
        return False, "a plain line after an actions label that does not read as a task"
    return True, ""


def _owners(f: Found, found: list[Found]) -> tuple[list[str], list[str]]:
    """The item's owners, then a sub-item's that only states ownership, then the label's."""
    it = f.item
    owners, tentative = list(it.owners), list(it.tentative_owners)
    p = it.parent
    if p is not None and found[p].own.names_only:
        inherited = found[p].item  # "- @dana will:" then "- Open the issue": Dana's
        owners += [o for o in inherited.owners if o not in owners]
        tentative += [o for o in inherited.tentative_owners if o not in tentative]
    for c in f.children:
        if found[c].own.ownership_only and not owners:
            owners = list(found[c].item.owners)
            tentative = list(found[c].item.tentative_owners)
    have = {x.casefold() for x in owners}
    for o in f.sec.owners:
        if o.casefold() not in have:
            owners.append(o)
            have.add(o.casefold())
    return owners, tentative


def judge(found: list[Found]) -> tuple[list[Item], list[tuple[Item, str]]]:
    """The items with their final owners and `opens_issue`; and those left unopened on a guess."""
    grouping = _grouping(found)
    mostly: dict[int, bool] = {}  # parent index -> its sub-items are mostly tasks
    out: list[Item] = []
    unsure: list[tuple[Item, str]] = []
    for k, f in enumerate(found):
        it = f.item
        opens, why = _opens(f, k, found, grouping, mostly)
        owners, tentative = _owners(f, found)
        if tuple(owners) != it.owners or tuple(tentative) != it.tentative_owners or opens != it.opens_issue:
            it = replace(it, owners=tuple(owners), tentative_owners=tuple(tentative), opens_issue=opens)
        if why:
            unsure.append((it, why))
        out.append(it)
    return out, unsure
