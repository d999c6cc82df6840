"""Finding an item's issue again after the notes changed.

An issue's key is fixed when it is created; afterwards the item's text may get
a typo fix, an owner or a link, move in the list, get lines above it, or the
whole file may be renamed. None of these change the meeting's date, and all of
them leave most of the item's words in place, so the matcher compares items
and issues of the same notes repository and meeting date by the similarity of
their normalised text (owners, links and references removed). The path only
matters for undated meetings, which have nothing else to anchor them; once
that file is gone (moved or renamed), their text alone finds them again in
any file of the repository (`plan._Planner.match_moved`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SAME_MEETING_THRESHOLD = 0.7
CARRY_OVER_THRESHOLD = 0.85

_URL_RE = re.compile(r"https?://\S+")
# `owner/repo#N` starts only where a run of name characters starts: starting at every
# word boundary inside a run (`\b[\w.-]+/`) rescans the run, quadratic on `www.www...`.
_REF_RE = re.compile(r"(?<![\w.-])[\w.-]+/[\w.-]+#\d+\b|(?<![\w&])#\d+\b")
_PAREN_RE = re.compile(r"\([^()]*\)")
_NON_WORD_RE = re.compile(r"[^\w]+")
_OWNER_SEP_RE = re.compile(r"[,/+&]|\band\b")


def normalise_text(text: str, owners: Iterable[str] = ()) -> str:
    """Lower-case words of an item with owners, links, references and punctuation removed."""
    owner_keys = {o.casefold().lstrip("@") for o in owners if o.strip()}
    text = _URL_RE.sub(" ", text)
    text = _REF_RE.sub(" ", text)

    def drop_owner_paren(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        parts = [p.strip().rstrip("?").strip().lstrip("@").casefold() for p in _OWNER_SEP_RE.split(inner)]
        return " " if owner_keys and all(p in owner_keys for p in parts if p) else match.group(0)

    text = _PAREN_RE.sub(drop_owner_paren, text)
    words = _NON_WORD_RE.sub(" ", text.casefold()).split()
    return " ".join(w for w in words if w not in owner_keys)


# What one plan may spend on fuzzy matching, whatever the notes hold. Pairs: texts
# weighed against each other (each a few set operations on at most FUZZY_CHARS
# characters of each); character work: difflib's comparison, quadratic in the
# worst case, charged len(a) * len(b) (a few hundred comparisons of long
# look-alike texts, thousands of ordinary ones). Past either, matching falls back to what
# costs nothing (same key, same text) or to word overlap: a plan stays linear in
# the size of the notes, and the next sync matches the rest against its issues.
MAX_PAIRS = 50_000
MAX_CHAR_WORK = 8_000_000
FUZZY_CHARS = 200
# A word shared by more texts than this says nothing about which ones are alike.
COMMON_WORD = 64
CANDIDATES = 16  # earlier texts weighed against each new one, those sharing the most words


@dataclass
class Budget:
    """The fuzzy comparisons one plan has left (see MAX_PAIRS)."""

    pairs: int = MAX_PAIRS
    char_work: int = MAX_CHAR_WORK

    @property
    def spent(self) -> bool:
        return self.pairs <= 0

    def similar(self, a: str, b: str, threshold: float) -> float:
        """`similar(a, b, threshold)` while pairs are left, else 0.0."""
        if self.pairs <= 0:
            return 0.0
        self.pairs -= 1
        return similar(a, b, threshold, self)


class WordIndex:
    """Texts by their words: the few earlier texts worth weighing against a new one.

    Two texts alike enough to be one item share words, and a rare shared word
    is the telling one; a word in more than COMMON_WORD texts is not indexed
    further. So finding candidates costs a bounded amount per text.
    """

    def __init__(self) -> None:
        self._postings: dict[str, list[int]] = {}

    def add(self, ident: int, text: str) -> None:
        for word in _words(text):
            posting = self._postings.setdefault(word, [])
            if len(posting) <= COMMON_WORD:
                posting.append(ident)

    def candidates(self, text: str, limit: int = CANDIDATES) -> list[int]:
        """Idents of indexed texts sharing the most uncommon words with `text`, oldest (lowest) first."""
        shared: Counter[int] = Counter()
        for word in _words(text):
            posting = self._postings.get(word)
            if posting and len(posting) <= COMMON_WORD:
                shared.update(posting)
        best = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]  # ties: oldest, any hash seed
        return sorted(ident for ident, _ in best)


def _words(text: str, limit: int = 64) -> set[str]:
    """The first `limit` distinct words of a normalised text."""
    out: set[str] = set()
    for word in text.split():
        out.add(word)
        if len(out) >= limit:
            break
    return out


def similar(a: str, b: str, threshold: float, budget: Budget | None = None) -> float:
    """How alike two normalised texts are (0..1: the better of character and word overlap) when it reaches `threshold`, else 0.0; cheap bounds first.

    Texts whose lengths or letters already rule the threshold out never get
    the quadratic character comparison, which keeps a first sync of a long
    history (every item against every earlier one) fast. With a `budget`, the
    character comparison is charged to it (MAX_CHAR_WORK).
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    a, b = a[:FUZZY_CHARS], b[:FUZZY_CHARS]
    words = _jaccard(set(a.split()), set(b.split()))
    if words >= threshold:
        return words
    la, lb = len(a), len(b)
    if 2 * min(la, lb) / (la + lb) < threshold:
        return 0.0
    if budget is not None:
        if budget.char_work <= 0:
            return 0.0
        budget.char_work -= la * lb
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.quick_ratio() < threshold:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= threshold else 0.0


@dataclass(frozen=True)
class Candidate:
    """What the matcher needs of one side: an id, a group and a normalised text."""

    ident: int
    group: tuple[str, str | None, str | None]  # (notes repo, meeting date, path if undated)
    text: str


def best_pairs(
    wanted: Sequence[Candidate], have: Sequence[Candidate], threshold: float, budget: Budget | None = None
) -> dict[int, int]:
    """Pairs (wanted.ident -> have.ident) within the same group, best scores first, one-to-one.

    Identical texts pair first (the common case: most items did not change),
    then the rest by score; cheap upper bounds skip most character comparisons.
    A `budget` bounds the scoring: once spent, what is left stays unpaired.
    """
    budget = budget or Budget()
    pairs: dict[int, int] = {}
    free: dict[tuple[tuple[str, str | None, str | None], str], list[Candidate]] = {}
    for h in have:
        free.setdefault((h.group, h.text), []).append(h)
    rest_w: list[Candidate] = []
    for w in wanted:
        same = free.get((w.group, w.text))
        if same:
            pairs[w.ident] = same.pop(0).ident
        else:
            rest_w.append(w)
    by_group: dict[tuple[str, str | None, str | None], list[Candidate]] = {}
    taken_h = set(pairs.values())
    for h in have:
        if h.ident not in taken_h:
            by_group.setdefault(h.group, []).append(h)
    scored: list[tuple[float, int, int, int]] = []
    for wi, w in enumerate(rest_w):
        for h in by_group.get(w.group, ()):
            if budget.spent:
                break
            if h.ident in taken_h:
                continue
            score = budget.similar(w.text, h.text, threshold)
            if score:
                # Ties go to the earlier item and the older issue: deterministic.
                scored.append((-score, wi, h.ident, w.ident))
    scored.sort()
    taken_w: set[int] = set()
    for _, _, h_ident, w_ident in scored:
        if w_ident in taken_w or h_ident in taken_h:
            continue
        pairs[w_ident] = h_ident
        taken_w.add(w_ident)
        taken_h.add(h_ident)
    return pairs


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
