"""Who the notes assign an item to, read the way a careful human reads it.

Owners are found only where notes put them: a trailing parenthesis of names
(`(Tiago, Lucie?)`), the subject of a clause (`Viktor / Nadia to ...`),
a `Name:` / `@handle:` prefix, HackMD's `[name=X]`. Anywhere else a name is a
recipient, an object or a possessive ("a note to Beatriz", "Lukas'
proposal") and not an owner. Without a roster, a name is a capitalised
word that is not an English word a sentence starts with; with a roster (or
names the notes themselves list), lower-case names as written are known too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Imperative verbs that start a task ("Create ...", "Follow up ..."). Also used to
# tell a task from a grouping label; never a name.
VERBS = frozenset(
    """add address adopt agree analyse analyze announce answer apply approve archive ask assign
    audit automate bake book bring build bump call change check choose clarify clean close collect
    come compile complete confirm connect consider contact continue coordinate copy create cut decide
    define delete deploy deprecate describe design determine discuss do document draft drive edit
    email enable engage ensure establish estimate evaluate explore extend figure file fill finalize
    finalise find finish fix flesh follow form gather get give go help identify implement improve
    include inform initiate install integrate investigate invite join keep land launch learn list
    look maintain make mark meet mention merge migrate monitor move nominate notify offer onboard open
    organize organise outline pick ping plan polish port post prepare prioritize prioritise propose
    provide publish push put raise reach read rebase reconnect record reduce refactor reply relink
    release remind remove rename report request research resolve respond restart resume retweet
    review revisit rewrite run schedule send set settle share ship sign sort speak split start
    submit summarize summarise support switch sync synthesize synthesise take talk tag tell test
    track transfer triage try tweet unlink update upgrade upload use validate verify vote wait walk
    watch work wrap write need please eventually simplify convert rework re-work reassess re-assess
    decommission de-commission clarify collaborate communicate organise prototype recruit reorganize
    reorganise replace reproduce rerun retire revert scope shepherd sponsor streamline structure
    summarise teach translate unblock unify volunteer welcome""".split()
)

# Words that begin sentences but are never names (checked case-insensitively on the
# first word of a candidate name).
_COMMON = frozenset(
    """i we you he she it they me us them this that these those there here someone somebody nobody anyone anybody
    none who what which when where why how whoever the a an our my your their his her its some any
    each every no and or but so if then also maybe perhaps by for from to in on at with after
    before until once as of about re via per into over under not yes ok okay thanks thank great
    new next last first second third other another more most many much few several both either
    neither such same all-hands let's lets let todo tbd done action actions step steps note notes
    still just only even very really already again now today tomorrow tonight yesterday monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    is are was were be been being will would should could can might must shall""".split()
) | VERBS
# Monthly names collide with people's names ("April"); keep them when written as a
# subject or an owner list, where a month makes no sense.
_MONTH_NAMES = frozenset("january february march april may june july august september october november december".split())

# Words that label a line ("Question: ...", "Facilitator: Greta") rather than name its owner.
_LABEL_WORDS = frozenset(
    """question questions answer answers note notes update updates context proposal decision
    decisions discussion link links agenda summary status background idea ideas goal goals outcome
    outcomes result results problem problems issue issues comment comments example examples date time
    host secretary facilitator notetaker notetakers chair attendees attendance present topic topics
    pros cons option options plan plans remark remarks todo action actions done completed complete finished wip blocked reminder warning important
    edit meeting recording minutes conclusion consensus vote votes feedback concern concerns risk
    risks request requests process release motion resolution next step steps follow followup pr
    prs tldr fyi eta bonus aside agreed suggestion suggestions observation bug bugs fix fixes docs
    documentation draft deadline budget cost timeline owner owners assignee role roles task tasks
    reason nb ps q a recap context why what how who where when demo notice update(s) participants
    welcome intro intros announcements news thanks benefit benefits advantage advantages drawback
    drawbacks downside downsides upside upsides rationale motivation impact caveat caveats pro
    observations info""".split()
)

# Groups that own a task as a whole ("(everyone)", "- All"), in any case.
_GROUPS = frozenset(["everyone", "everybody", "all", "all of us"])

# Acronyms that are things, not people (a person's initials are kept: CH, JC).
_THINGS = frozenset(
    """pr prs ci cd api apis ui ux ga cfp jep slep rfc faq dns aws gcp gke ovh css html url urls cli
    sso ok tbd nb fyi eta eod eow todo readme doi pypi js ts k8s hpc oss gsoc cve ssl tls ssh mvp
    roi kpi okr okrs faqs rst md json yaml toml ml ai llm gpu cpu ram ram os lts rc qa pdf csv sql
    vm vms dm dms pm am utc pst est cet bst""".split()
)

# Verbs whose object is a person: "Ask team to review" is a task for whoever asks.
_TEAM_OBJECT_VERBS = frozenset(
    """ask tell remind ping email notify invite help contact inform call thank meet join welcome engage
    onboard nominate assign recruit teach connect update let get have make bring give send show""".split()
)

_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD_CAP = rf"[{_UPPER}][\w'’-]*"
_HANDLE = r"@[A-Za-z0-9][\w-]*(?:/[\w.-]+)?"
# A name: @handle, or up to four capitalised words, optionally an "(ACRONYM)" and "team".
_NAME_CAP = rf"(?:{_HANDLE}|{_WORD_CAP}(?:[ \t]+{_WORD_CAP}){{0,3}}(?:[ \t]+\([{_UPPER}]{{2,}}\))?(?:[ \t]+team)?)"
_NAME_ANY = rf"(?:{_HANDLE}|[\w][\w'’-]*(?:[ \t]+{_WORD_CAP}){{0,3}}(?:[ \t]+\([{_UPPER}]{{2,}}\))?(?:[ \t]+team)?)"
_SEP = r"(?:[ \t]*(?:,[ \t]*(?:and[ \t]+)?|/|&|\+)[ \t]*|[ \t]+and[ \t]+)"

_SUBJECT_VERB = re.compile(
    r"[ \t]*(?:[-–—][ \t]*)?(?:will|'ll|to|can|could|should|shall|would|must|might|may|"
    r"(?:is|are)[ \t]+(?:happy|willing|going|responsible|in[ \t]+charge|on[ \t]+it|championing|leading|"
    r"advising|helping|owning|handling|driving|organi[sz]ing|coordinating|writing|preparing|drafting|"
    r"investigating|reviewing)|"
    r"(?:has|have)[ \t]+(?:offered|agreed|volunteered|committed|signed[ \t]+up)|"
    r"plans?[ \t]+to|agreed[ \t]+to|agrees[ \t]+to|volunteered|volunteers|offered[ \t]+to|"
    r"owns|own|writes|leads|takes|handles|drives|opens|creates|sends|reviews|does|"
    r"prepares|drafts|investigates|contacts|emails|pings|schedules|coordinates|gives|"
    r"follows[ \t]+up|reaches[ \t]+out|sets[ \t]+up|talks[ \t]+to)\b"
)
# A clause-start subject that only says who owns something ("Femi is championing
# the onboarding, Greta has offered to help"): it details the parent's owners.
_OWNERSHIP_VERB = re.compile(
    r"[ \t]*(?:owns|own|is[ \t]+(?:championing|leading|advising|helping|responsible|in[ \t]+charge|owning)|"
    r"(?:has|have)[ \t]+offered|will[ \t]+(?:lead|own|help|champion)|"
    r"(?:might|may|could|can|will)[ \t]+(?:also[ \t]+)?help)\b"
)
# A subject written with doubt ("Alek might help", "hopefully Ines will"): a tentative owner.
_HEDGED_VERB = re.compile(r"[ \t]*(?:might|may|could)\b")
_HOPEFULLY = re.compile(r"(?:hopefully|maybe|perhaps),?[ \t]+", re.IGNORECASE)
# "Martha and Max working on ...": a present participle after two names or a handle.
_PARTICIPLE = re.compile(r"[ \t]+(?:also[ \t]+)?[a-z]{2,20}ing\b")
_CLAUSE_START = re.compile(r"[,;.!?:]\s+|\s[-–—]\s+|\)\s+(?=[A-Z@])")
# "I need Thomas (he set it up) to update the token": the named doer of the task.
_NEED = re.compile(r"\b(?:need|needs|want|wants|would[ \t]+like)[ \t]+", re.IGNORECASE)
_ASIDE_TO = re.compile(r"(?:[ \t]*\([^()]{0,80}\))?[ \t]+to[ \t]+[a-z]")
_TRAILING_PAREN = re.compile(r"\(([^()]*)\)[\s.,;:!]*$")
_HACKMD = re.compile(r"\[name=([^\]\n]{1,60})\]")
_PAREN_SPLIT = re.compile(r",|/|\+|&|\band\b")  # parts are stripped: no `\s*` to rescan
_ELEMENT = re.compile(rf"^(?:and\s+)?({_HANDLE}|[\w][\w'’-]*(?:\s+[\w'’-]+){{0,3}}?(?:\s+\([{_UPPER}]{{2,}}\))?)(\?*)(?:\s+will)?$")
_THE = re.compile(r"(?:[Tt]he[ \t]+)?")


@dataclass(frozen=True)
class Owners:
    """Owners of one item, as written; tentative ones (written with `?`) are in both."""

    owners: tuple[str, ...] = ()
    tentative: tuple[str, ...] = ()
    ownership_only: bool = False  # the text only states who owns something
    names_only: bool = False  # the text is only its owners ("@dana will:"): its sub-items are the tasks


class _Acc:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.tentative: list[str] = []
        self.keys: set[str] = set()

    def add(self, name: str, tentative: bool) -> None:
        key = name.lstrip("@").casefold()
        if key not in self.keys:
            self.keys.add(key)
            self.names.append(name)
        if tentative and name not in self.tentative:
            self.tentative.append(name)

    def result(self, ownership_only: bool = False, names_only: bool = False) -> Owners:
        found = bool(self.names)
        return Owners(tuple(self.names), tuple(self.tentative), ownership_only and found, names_only and found)


def valid_name(name: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether `name` (no `?`) reads as a person, team or group in an owner position."""
    name = name.strip()
    if not name or len(name) > 60:
        return False
    if name.startswith("@"):
        return re.fullmatch(_HANDLE, name) is not None
    if name.casefold() in known or name.casefold() in _GROUPS:
        return True
    words = name.split()
    if len(words) > 5:
        return False
    first = words[0]
    if first.casefold() in known:
        return True
    if not first[0].isupper():
        return False
    low = first.casefold().strip("'’")
    if len(words) == 2 and words[1] == "team" and low not in _TEAM_OBJECT_VERBS and not any(ch.isdigit() for ch in low):
        # "Design team", "Docs team", "Release team": a group named for what it does.
        # Only the determiners and pronouns ("Our team", "The team") and verbs that take a
        # person as object ("Ask team to ...") keep it from being a name.
        return low not in _COMMON or low in VERBS
    if low in _COMMON and low not in _MONTH_NAMES:
        return False
    if low in _THINGS or low in _LABEL_WORDS:
        return False
    if any(ch.isdigit() for ch in first):
        return False
    if len(first) > 5 and low.endswith("ing") and "team" not in words:
        return False  # "Trying to ...", "Moving forward": a gerund, not a name
    for w in words[1:]:
        if w == "team" or re.fullmatch(rf"\([{_UPPER}]{{2,}}\)", w):
            continue
        if not w[0].isupper() or w.casefold() in _COMMON:
            return False
    return True


# At most this many names in one list of subjects ("Ana, Ben and Cleo will ..."). The
# list is read again from every clause start inside it, so an unbounded list would
# make "Ana, Ana, Ana, ... will" quadratic; ten is also the most owners mentioned.
MAX_NAMES = 10


@lru_cache(maxsize=64)
def _names_re(known: frozenset[str]) -> re.Pattern[str]:
    name = _NAME_ANY if known else _NAME_CAP
    more = f"{{0,{MAX_NAMES - 1}}}"
    return re.compile(
        rf"{_THE.pattern}(?P<names>{name}\??(?:{_SEP}{name}\??|[ \t]+\((?:and[ \t]+)?{name}\??\)){more})"
    )


# Separators without the spaces around them (the parts are stripped): a leading `\s*`
# would rescan a run of spaces from each of its positions.
_SPLIT = re.compile(rf"({_HANDLE})|,|/|&|\+|\band\b")


# "Release Coordination Group (RCG)": the acronym in parentheses is part of the name.
_ACRONYM = re.compile(rf"(?<=[\w'’-])[ \t]+\(([{_UPPER}]{{2,}})\)")


def _split_names(span: str) -> list[tuple[str, bool]]:
    out = []
    span = _ACRONYM.sub(lambda m: f" \x00{m.group(1)}\x01", span)
    span = span.replace("(", ",").replace(")", ",").replace("\x00", "(").replace("\x01", ")")
    # a team handle "@org/team" is one name: split on separators outside handles only
    parts: list[str] = []
    pos = 0
    for m in _SPLIT.finditer(span):
        if m.group(1):
            continue
        parts.append(span[pos : m.start()])
        pos = m.end()
    parts.append(span[pos:])
    for part in parts:
        part = part.strip()
        if part.startswith("and "):
            part = part[4:].strip()
        if not part:
            continue
        tentative = part.endswith("?")
        out.append((part.rstrip("?").strip(), tentative))
    return out


def _subject_at(text: str, pos: int, known: frozenset[str]) -> tuple[list[tuple[str, bool]], re.Match[str] | None, int] | None:
    """The names that start a clause at `pos` and the verb after them, or None."""
    hedged = _HOPEFULLY.match(text, pos)
    if hedged:
        pos = hedged.end()
    m = _names_re(known).match(text, pos)
    if not m:
        return None
    # The verb first: it is one anchored match, while the names cost a split and a
    # check each, and most clause starts ("Ana, Ben, ...") have no verb after them.
    verb = _SUBJECT_VERB.match(text, m.end())
    if verb is None and not _PARTICIPLE.match(text, m.end()):
        return None
    parts = _split_names(m.group("names"))
    if not parts or not all(valid_name(n, known) for n, _ in parts):
        return None
    # "Martha and Max working on ...", "@dana moving it ...": a participle after
    # a handle, several names or a name the notes list
    lone = len(parts) == 1 and not (parts[0][0].startswith("@") or parts[0][0].casefold() in known)
    if verb is None and lone:
        return None
    if hedged or (verb is not None and _HEDGED_VERB.match(text, m.end())):
        parts = [(n, True) for n, _ in parts]
    return parts, verb, m.end()


def _subjects(text: str, known: frozenset[str], acc: _Acc) -> bool:
    """Names that are the subject of a clause; True when every such clause only states ownership."""
    starts = [0] + [m.end() for m in _CLAUSE_START.finditer(text)]
    only_ownership = True
    found = False
    for pos in starts:
        got = _subject_at(text, pos, known)
        if got is None:
            continue
        parts, verb, end = got
        found = True
        if verb is None or not _OWNERSHIP_VERB.match(text, end):
            only_ownership = False
        for n, t in parts:
            acc.add(n, t)
    return found and only_ownership


def _needed_doers(text: str, known: frozenset[str], acc: _Acc) -> None:
    """Names the writer needs to do the task ("we need Kim to ..."): doers, so owners."""
    names_re = _names_re(known)
    for nm in _NEED.finditer(text):
        m = names_re.match(text, nm.end())
        if not m or not _ASIDE_TO.match(text, m.end()):
            continue
        parts = _split_names(m.group("names"))
        if parts and all(valid_name(n, known) for n, _ in parts):
            for n, t in parts:
                acc.add(n, t)


def _prefix(text: str, known: frozenset[str], acc: _Acc) -> int:
    """`Name:` / `@handle:` / `Bea and Tomas:` at the start; returns where the rest begins."""
    m = _names_re(known).match(text)
    if not m:
        return 0
    end = m.end()
    rest = text[end : end + 3]
    if not rest.startswith(":") or text[end + 1 : end + 2] not in (" ", "\t", ""):
        return 0
    parts = _split_names(m.group("names"))
    if not parts or not all(valid_name(n, known) for n, _ in parts):
        return 0
    for n, t in parts:
        acc.add(n, t)
    return end + 1


# Notations after the names in a parenthesis that say when, not who: "(Max post-3.0)".
_TIMING = re.compile(
    r"[ \t]+(?:post|pre|after|before|by|until|from|next|this|in|on|eod|eow|eom|asap|tomorrow|today|soon)\b.*$",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\(([^()\n]{1,80})\)")
# Verbs whose object is whom to contact, not who acts: "Reach out to the docs team (@dana)".
_CONTACT = re.compile(
    r"\b(?:reach(?:ing)?[ \t]+out|ask|asking|ping|contact|e-?mail|talk[ \t]+(?:to|with)|speak[ \t]+(?:to|with)|"
    r"check[ \t]+in[ \t]+with|brief|tell|invite|sync[ \t]+with|meet[ \t]+with|consult|loop[ \t]+in|cc)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;.!?:]")
_MID_PAREN_CHARS = 400  # owners in mid-sentence are written early in the line
_WORDS = re.compile(r"[A-Za-z][\w'’-]*")
_DASH = re.compile(r"[ \t][-–—](?=[ \t]*[^\s-])")
# A name, then only references: "Mike https://github.com/o/r/issues/1 (help wanted)".
_REF_AFTER = re.compile(r"[ \t]+(?:https?://|#\d|[\w.-]{1,100}/[\w.-]{1,100}#\d)")
_REF_OR_ASIDE = re.compile(r"https?://\S+|[\w.-]{1,100}/[\w.-]{1,100}#\d{1,9}|#\d{1,9}|\([^()]{0,200}\)|[\s,.;:!]+")
# Emoji shortcodes and the like after the text ("(MJ) :sunflower:") say nothing about owners.
_SHORTCODE = re.compile(r":[a-z0-9_+-]{1,30}:")


def _undecorated(text: str) -> str:
    """`text` without the emoji shortcodes and symbols at its end."""
    text = text.rstrip()
    while text.endswith(":"):
        start = text.rfind(":", 0, len(text) - 1)
        if start < 0 or not _SHORTCODE.fullmatch(text, start):
            break
        text = text[:start].rstrip()
    end = len(text)
    while end and ((not text[end - 1].isascii() and not text[end - 1].isalnum()) or text[end - 1] in " \t"):
        end -= 1
    return text[:end]


@lru_cache(maxsize=4096)
def _paren_names(inner: str, known: frozenset[str]) -> tuple[tuple[str, bool], ...] | None:
    """The owners a parenthesis names: a list of names, or a clause with a named subject.

    Cached: a trailing parenthesis is read both as one in mid-line and as the
    trailing one, and notes repeat the same few (`(Ana)`, `(@dana, Li)`).
    """
    inner = inner.strip()
    if not inner or len(inner) > 80:
        return None
    got = _subject_at(inner, 0, known)  # "(leah can ping filipe)": leah
    if got is not None:
        return tuple(got[0])
    parts: list[tuple[str, bool]] = []
    for el in _PAREN_SPLIT.split(inner):
        em = _ELEMENT.match(_TIMING.sub("", el.strip()))
        if not em or not valid_name(em.group(1), known) or _camel(em.group(1)):
            parts = []
            break
        parts.append((em.group(1), bool(em.group(2))))
    return tuple(parts) or None


def _camel(name: str) -> bool:
    """A word with a capital inside ("JupyterLab", "LabButton") names software, not a person.

    Names with a short prefix keep theirs: McKay, DeShawn, LaToya, MacLeod, VanDyke.
    """
    for w in name.split():
        if w[1:] == w[1:].lower():
            continue  # no capital inside: the common case, without a walk over the word
        k = next((i for i, ch in enumerate(w) if i > 0 and ch.isupper()), 0)
        if k >= 3 and w[:k].istitle() and w[:k] not in ("Mac", "Van", "Von", "Del", "Der"):
            return True
    return False


def _abbreviation(text: str, start: int, inner: str) -> bool:
    """`(PMO)` right after "Project Management Office": the words' initials, not an owner."""
    if not inner.isupper() or not 2 <= len(inner) <= 6:
        return False
    words = _WORDS.findall(text[max(0, start - 100) : start])
    initials = "".join(w[0] for w in words if w[0].isupper())
    return initials.endswith(inner)


def _trailing_paren(text: str, known: frozenset[str], acc: _Acc) -> None:
    m = _TRAILING_PAREN.search(_undecorated(text))
    if not m:
        return
    for n, t in _paren_names(m.group(1), known) or ():
        acc.add(n, t)


def _mid_parens(line: str, known: frozenset[str], acc: _Acc) -> None:
    """A parenthesis of names anywhere in the first line names owners ("Turn X into a list (Ana and Li) so ..."),
    unless it gives the handle of someone to contact or spells out an abbreviation."""
    line = line[:_MID_PAREN_CHARS]
    cut = 0  # where the clause of the parenthesis starts
    seen = 0
    for m in _PAREN.finditer(line):
        for c in _CLAUSE_END.finditer(line, seen, m.start()):
            cut = c.end()
        seen = m.end()
        inner = m.group(1)
        if _CONTACT.search(line, cut, m.start()) or _abbreviation(line, m.start(), inner.strip()):
            continue
        for n, t in _paren_names(inner, known) or ():
            acc.add(n, t)


def _leading_paren(text: str, known: frozenset[str], acc: _Acc) -> int:
    """`(@dana) Make ...`: owners in a parenthesis before the task; returns where the task begins."""
    if not text.startswith("("):
        return 0
    m = _PAREN.match(text)
    found = _paren_names(m.group(1), known) if m else None
    if m is None or not found:
        return 0
    for n, t in found:
        acc.add(n, t)
    return m.end()


def _dash_owners(line: str, known: frozenset[str], acc: _Acc) -> None:
    """`Set up the board - Ana, Li` / `... -_Ana_`: names after a last dash."""
    dashes = list(_DASH.finditer(line))
    if not dashes:
        return
    last = dashes[-1]
    tail = _undecorated(line[last.end() :]).strip().rstrip(".")
    if not tail or len(tail) > 80:
        return
    parts = _split_names(tail)
    if parts and all(valid_name(n, known) and not _camel(n) for n, _ in parts):
        for n, t in parts:
            acc.add(n, t)


def _name_before_ref(text: str, known: frozenset[str], acc: _Acc) -> None:
    """`Mike https://github.com/o/r/issues/1`: a name alone before the reference it takes."""
    m = _names_re(known).match(text)
    if not m or not _REF_AFTER.match(text, m.end()):
        return
    if _REF_OR_ASIDE.sub("", text[m.end() :]):
        return  # more words after the reference: "Turn #12 into a checklist"
    parts = _split_names(m.group("names"))
    if parts and all(valid_name(n, known) for n, _ in parts):
        for n, t in parts:
            acc.add(n, t)


def names_only(text: str, known: frozenset[str]) -> bool:
    """Whether the text is only owners and a modal (`@dana will:`, `Ana and Li to:`)."""
    m = _names_re(known).match(text)
    if not m:
        return False
    rest = text[m.end() :].strip().rstrip(":").strip()
    parts = _split_names(m.group("names"))
    return rest.casefold() in ("", "will", "to", "should", "must", "shall", "can") and bool(parts) and all(
        valid_name(n, known) for n, _ in parts
    )


def find_owners(text: str, first_line: str | None = None, known: Iterable[str] = ()) -> Owners:
    """Owners written in an item's own text (`text`: its whole body, plain; `first_line`: its first line)."""
    known_set = known if isinstance(known, frozenset) else frozenset(k.casefold() for k in known)
    acc = _Acc()
    for m in _HACKMD.finditer(text):
        name = m.group(1).strip()
        if name:
            acc.add(name, False)
    body = _HACKMD.sub("", text).strip() if acc.names else text
    line = first_line if first_line is not None else body
    start = _prefix(body, known_set, acc) or _leading_paren(body, known_set, acc)
    ownership = _subjects(body[start:] if start else body, known_set, acc)
    _needed_doers(body, known_set, acc)
    _mid_parens(line, known_set, acc)
    _trailing_paren(body, known_set, acc)
    if line != body:
        _trailing_paren(line, known_set, acc)
    _dash_owners(line, known_set, acc)
    _name_before_ref(body, known_set, acc)
    return acc.result(ownership and not start, names_only(line, known_set))


def label_owners(qualifier: str, known: Iterable[str] = ()) -> tuple[str, ...]:
    """Owners named by a section label's qualifier: `(RK)`, `Lena` in `Lena: her action items`."""
    known_set = frozenset(k.casefold() for k in known)
    q = qualifier.strip()
    if q.startswith("(") and q.endswith(")"):
        q = q[1:-1]
    parts = []
    for el in _PAREN_SPLIT.split(q):
        em = _ELEMENT.match(el.strip())
        if not em or not valid_name(em.group(1), known_set) or em.group(1).casefold() in _GROUPS:
            return ()  # "(all)", "(team)" after a label scope it
        parts.append(em.group(1))
    return tuple(parts)
