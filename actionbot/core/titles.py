"""An action item's issue title: what a maintainer would type for it (pure).

The notes line is written for people in the meeting: it names who does the
task, carries markers and status words, links, asides. An issue list is read
differently: the assignees already say who, the body keeps the whole line,
so the title is the task alone, short enough to read in a list:

- the owner notation goes (`Sara to ...`, `Sara: ...`, `(Sara)`,
  `- Sara, Tom`, `[name=Sara]`): owners are the assignees and in the body;
- `TODO:`/`[ACTION]` markers, checkboxes, status words and emoji codes go;
- `Name to X` / `Name will X` reads `X`, capitalised;
- issue and pull request URLs read `owner/repo#N` (`#N` in the tracking
  repository); other URLs go (the body keeps them);
- at most `TITLE_MAX` characters, cut where a clause ends (`.`, `;`, ` - `,
  `, `, ` (`, ` and then `, a subordinate clause), never inside a word or a
  parenthesis; an ellipsis only when no such place exists;
- no trailing `:`; upper-case first letter unless it starts with code.

Owners are the names the parser found (`Item.owners`); this module only
locates those names in the text, it never decides who is an owner. Every
pattern here is linear: literal alternations and single bounded classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from actionbot.notes.owners import VERBS
from actionbot.notes.refs import url_ref

TITLE_MAX = 80
ELLIPSIS = "…"
UNTITLED = "Action item"
TEXT_MAX = 2000  # a title never needs more of the item than this

_URL_RE = re.compile(r"<?(?:https?://|www\.)[^\s<>]+>?")
_MD_LINK_RE = re.compile(r"\[([^\[\]\n]{1,300})\]\((?:https?://|www\.|/|#)[^()\s]{0,2000}\)")
_HACKMD_NAME_RE = re.compile(r"[ \t]?\[name=[^\]]{0,80}\]")
_EMPHASIS_RE = re.compile(r"\*\*|~~")  # the parser gives plain text; these survive in raw lines
_EMOJI_RE = re.compile(r"(?<![\w:]):[a-z0-9_+-]{1,40}:(?![\w:])")
_CHECKBOX_RE = re.compile(r"\\?\[[ xX]?\\?\][ \t]*")
# Markers and status words that start a line: `TODO:`, `[ACTION]`, `Action item:`, `DONE -`.
_MARKER_RE = re.compile(
    r"(?i:\[(?:action(?:[ \t]items?)?|todo|ai|wip|done)\]|"
    r"(?:todos?|to-do|action[ \t]items?|actions?|ai|next[ \t]steps?|follow[ -]?ups?|"
    r"done|wip|in[ \t]progress|blocked|ongoing|pending|fixme)[ \t]*(?::|[ \t]-[ \t]))[ \t]*"
)
_STATUS_TAIL_RE = re.compile(r"(?i:[ \t]{0,4}[-–—(][ \t]{0,4}(?:done|wip|in[ \t]progress|ongoing|completed)[ \t]{0,4}\)?)$")
# "Sara to ...", "Sara will ...", "@x is happy to ...": the owner is the subject.
_SUBJECT_VERB_RE = re.compile(
    r"[ \t]*(?:[-–—:][ \t]*)?(?:will|'ll|’ll|to|should|shall|can|could|would|must|might|may|"
    r"(?:is|are)[ \t]+(?:going|happy|willing|planning|volunteering|offering)[ \t]+to|"
    r"(?:has|have)[ \t]+(?:offered|agreed|volunteered)[ \t]+to|"
    r"plans?[ \t]+to|agreed[ \t]+to|agrees[ \t]+to|volunteered[ \t]+to|volunteers[ \t]+to|offered[ \t]+to)"
    r"(?:[ \t]*:[ \t]*|[ \t]+(?:also[ \t]+|then[ \t]+)?|[ \t]*$)"
)
_OWNERSHIP_RE = re.compile(
    r"[ \t]+(?:owns|own|(?:is|are)[ \t]+(?:advising|helping|leading|championing|responsible|owning|on[ \t]+it|in[ \t]+charge)|"
    r"(?:has|have)[ \t]+offered[ \t]+to[ \t]+help|will[ \t]+(?:lead|own|help|champion)[ \t]*(?:[,;]|$))"
)
_MODAL_START_RE = re.compile(r"(?:[Ww]ill|[Ss]hould)[ \t]+(?=[a-z])")
_REF_START_RE = re.compile(r"[ \t]+(?:[\w.-]{1,100}/[\w.-]{1,100})?#\d")
_OWNER_SEP_RE = re.compile(r"[ \t]*(?:,[ \t]*(?:and[ \t]+)?|/|&|\+|[ \t]and[ \t])[ \t]*")
_PAREN_RE = re.compile(r"[ \t]?\(([^()]{0,120})\)")
_TRAILING_PAREN_RE = re.compile(r"[ \t]?\(([^()]{1,200})\)[.!?]?$")
_PAREN_SPLIT_RE = re.compile(r"[ \t]*(?:,|/|\+|&|\band\b|\bwith\b)[ \t]*")
_DASH_TAIL_RE = re.compile(r"[ \t]{1,4}(?:-{1,2}|–|—)[ \t]{0,4}|[ \t]{0,4}(?:–|—)[ \t]{0,4}|[ \t]{1,4}-(?=\S)")
_SPACE_RE = re.compile(r"[ \t]+")
_SPACE_PUNCT_RE = re.compile(r"[ \t]{1,4}([,.;:!?)])")
_EMPTY_PARENS_RE = re.compile(r"\([ \t,;:?!.]*\)")
_DANGLING_PREP_RE = re.compile(r"(?i:\b(?:in|at|on|see|via|from|per|here|link|links)[ \t]{0,4}:?)[ \t]{0,4}$")

# Where a clause ends, strongest first: a title is cut at the last place of the
# strongest kind that leaves a useful title (at least `min` characters).
_BOUNDARIES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (20, (". ", "; ", "? ", "! ")),
    (24, (" - ", " – ", " — ", " -- ", ", ", " (", " and then ", ": ", " / ")),
    (24, (" so that ", " so ", " because ", " in order to ", " to make sure ", " to ensure ", " which ",
          " that ", " that's ", " whether ", " but ", " if ", " when ", " where ", " since ", " while ",
          " until ", " and ", " or ", " with ", " via ", " for ", " before ", " after ")),
    (30, (" and ", " or ", " to ", " on ", " in ", " at ", " about ", " from ", " into ", " by ")),
)  # fmt: skip


def issue_title(text: str, owners: Iterable[str] = (), *, repo: str = "", parts: Iterable[str] = ()) -> str:
    """The issue title for an item's whole `text`; `owners` as the parser found them.

    `repo` is the tracking repository: issue URLs there read `#N`. `parts`
    (the sub-items' texts) name an item whose own text says only who
    (`@kim will:`): its title lists them.
    """
    keys = _owner_keys(owners)
    title = _task(text, keys, repo)
    if not title:
        title = "; ".join(t for t in (_task(p, keys, repo) for p in parts) if t)
    title = cut_title(title)
    title = _tidy(_drop_trailing_label(title))
    return capitalise(title) or UNTITLED


def _task(text: str, keys: tuple[str, ...], repo: str) -> str:
    """The task in `text`: plain, without markers, owners and trailing punctuation."""
    title = _plain(" ".join(text[:TEXT_MAX].split()), repo)
    title = _strip_markers(title)
    title = _strip_owners(title, keys)
    title = _strip_markers(title)  # "Sara: TODO: ..." had the marker behind the owner
    title = _tidy(_drop_trailing_label(title.rstrip()))
    while title.endswith(("..", ELLIPSIS)):  # the notes' own trailing dots would read as a cut
        title = _tidy(title.rstrip(".…"))
    return title


def _owner_keys(owners: Iterable[str]) -> tuple[str, ...]:
    """Owner names folded, without `@`, longest first (so `Ana M` wins over `Ana`)."""
    keys = {" ".join(o.split()).casefold().lstrip("@").rstrip("?") for o in owners if o.strip()}
    return tuple(sorted((k for k in keys if k), key=len, reverse=True))


# ---------------------------------------------------------------- markup and links


def _plain(title: str, repo: str) -> str:
    """Markdown links as their text, URLs as references or nothing, emphasis and emoji codes gone."""
    title = _MD_LINK_RE.sub(lambda m: m.group(1), title)
    title = _HACKMD_NAME_RE.sub("", title)
    title = _URL_RE.sub(lambda m: _url_text(m.group(0), repo), title)
    title = _EMPHASIS_RE.sub("", title)
    title = _EMOJI_RE.sub("", title)
    title = _EMPTY_PARENS_RE.sub("", title)
    return title


def _url_text(url: str, repo: str) -> str:
    """`owner/repo#N` (or `#N` in `repo`) for an issue or pull request URL; "" for others."""
    url = url.strip("<>")
    tail = ""
    while url and url[-1] in ".,;:!?)":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    ref = url_ref(url)
    if ref is None:
        return "\x00" + tail  # dropped; a marker lets the tidy-up remove a dangling "in"
    if repo and ref.casefold().startswith(repo.casefold() + "#"):
        ref = ref[len(repo) :]
    return ref + tail


def _strip_markers(title: str) -> str:
    """Leading checkboxes, `TODO:`-style markers and status words; a trailing `(done)`."""
    for _ in range(4):  # "[ ] TODO: [ACTION] ...": a few at most, each consumed once
        start = len(title) - len(title.lstrip(" \t-*+>"))
        m = _CHECKBOX_RE.match(title, start) or _MARKER_RE.match(title, start)
        if not m or m.end() == start:
            break
        title = title[m.end() :]
    return _STATUS_TAIL_RE.sub("", title).strip()


# ---------------------------------------------------------------- owners


def _match_names(title: str, pos: int, keys: tuple[str, ...], folded: str | None = None) -> int:
    """End of a list of owner names starting at `pos` (`Ana, Bo and @cy?`), or -1.

    `folded` is `title.casefold()` when the caller has it: a caller that tries every
    clause start of one title would otherwise fold the whole title again at each.
    """
    end = -1
    folded = title.casefold() if folded is None else folded
    while True:
        at = pos + 1 if folded.startswith("@", pos) else pos
        if folded.startswith("the ", at):
            at += 4
        name_end = -1
        for key in keys:
            if folded.startswith(key, at) and not _word_char(folded, at + len(key)):
                name_end = at + len(key)
                break
        if name_end < 0:
            return end
        while name_end < len(title) and title[name_end] == "?":
            name_end += 1
        end = name_end
        sep = _OWNER_SEP_RE.match(title, end)
        if not sep:
            return end
        pos = sep.end()


def _word_char(text: str, i: int) -> bool:
    return i < len(text) and (text[i].isalnum() or text[i] in "_-'’")


def _mentions_owner(text: str, keys: tuple[str, ...]) -> bool:
    words = {w.strip(".,;:!?'’\"").lstrip("@").casefold() for w in text.split()}
    folded = " ".join(text.casefold().split())
    return any(key in words or (" " in key and key in folded) for key in keys)


def _names_only(inner: str, keys: tuple[str, ...]) -> bool:
    """Whether a parenthesis or tail holds owner names only (`Tiago, Lucie?`, `@x with Bo`)."""
    inner = inner.strip()
    for verb in (" will", " to", " can"):  # `(Rollo will)`
        if inner.casefold().endswith(verb):
            inner = inner[: -len(verb)]
    parts = [p.strip().rstrip("?").strip().lstrip("@").casefold() for p in _PAREN_SPLIT_RE.split(inner)]
    parts = [p for p in parts if p]
    return bool(parts) and all(p in keys for p in parts)


def _strip_owners(title: str, keys: tuple[str, ...]) -> str:
    """The title without the owners' names where notes write them: before, inside, after."""
    if not keys:
        return title
    title = _strip_owner_parens(title, keys)
    title = _drop_ownership_clauses(title, keys)
    end = _match_names(title, 0, keys)
    if end > 0:
        rest = title[end:]
        verb = _SUBJECT_VERB_RE.match(rest)
        if rest.lstrip().startswith(":") or not rest.strip(" \t:"):
            title = rest.strip(" \t:")
        elif verb:
            title = rest[verb.end() :].strip()
        elif _REF_START_RE.match(rest):  # `Mike acme/site#12 (help wanted)`: the name labels a reference
            title = rest.strip()
        else:
            title = _third_person(rest) or title
    elif modal := _MODAL_START_RE.match(title):  # `[name=Kim] Will check ...`: the name was elsewhere
        title = title[modal.end() :]
    return _strip_owner_tail(_strip_inner_subjects(title, keys), keys)


def _strip_inner_subjects(title: str, keys: tuple[str, ...]) -> str:
    """`If it fits, Kim to email SSC` -> `If it fits, email SSC`: an owner subject after a comma
    that only sets the scene (a clause naming another owner is a list of tasks: kept)."""
    out: list[str] = []
    pos = 0
    at = title.find(", ")
    folded = title.casefold()
    first_owner = min((i for i in (folded.find(k) for k in keys) if i >= 0), default=len(title))
    while 0 <= at < first_owner:
        end = _match_names(title, at + 2, keys, folded)
        verb = _SUBJECT_VERB_RE.match(title, end) if end > 0 else None
        if verb and verb.end() < len(title):
            out.append(title[pos : at + 2])
            pos = verb.end()
        at = title.find(", ", max(at + 2, pos))
    out.append(title[pos:])
    return "".join(out)


def _drop_ownership_clauses(title: str, keys: tuple[str, ...]) -> str:
    """`Yuvi owns this, Sarah is helping, Yuvi will report back` -> `Yuvi will report back`."""
    for _ in range(3):
        end = _match_names(title, 0, keys)
        if end <= 0 or not _OWNERSHIP_RE.match(title, end):
            return title
        comma = min((i for i in (title.find(", ", end), title.find("; ", end)) if i >= 0), default=-1)
        if comma < 0 or len(title[end:comma].split()) > 6:
            return title
        title = title[comma + 2 :]
    return title


def _strip_owner_parens(title: str, keys: tuple[str, ...]) -> str:
    """Parentheses that only name owners, wherever they are (`(Tiago, Lucie?)`, `(@x) Make`)."""
    out: list[str] = []
    pos = 0
    for m in _PAREN_RE.finditer(title):
        if _names_only(m.group(1), keys):
            out.append(title[pos : m.start()])
            pos = m.end()
    out.append(title[pos:])
    return "".join(out).strip(" \t")


def _third_person(rest: str) -> str:
    """`Chris writes a paragraph` -> `write a paragraph`, `Kim and Bo working on X` -> `work on X`
    (the rest after the names), or "" when the next word is no verb of a task."""
    words = rest.split(maxsplit=1)
    if not words or not words[0].islower():
        return ""
    stem = _verb_stem(words[0])
    return " ".join([stem, *words[1:]]) if stem else ""


def _verb_stem(word: str) -> str:
    """The task verb of `writes`, `fixes`, `writing`, `running` (in `VERBS`), or ""."""
    stems: tuple[str, ...] = ()
    if word.endswith("ing") and len(word) > 5:
        base = word[:-3]
        stems = (base, base + "e", base[:-1] if len(base) > 2 and base[-1] == base[-2] else base)
    elif word.endswith("es"):
        stems = (word[:-1], word[:-2])
    elif word.endswith("s"):
        stems = (word[:-1],)
    return next((stem for stem in stems if stem in VERBS), "")


def _strip_owner_tail(title: str, keys: tuple[str, ...]) -> str:
    """A trailing `- Xavier, Riccardo`, `— Elie` or `, Sara` that names owners only, and a
    trailing aside that names one (`(no demo while driving, Glenn)`): the body keeps it."""
    aside = _TRAILING_PAREN_RE.search(title)
    if aside and aside.start() > 0 and _mentions_owner(aside.group(1), keys):
        title = title[: aside.start()].rstrip()
    for _ in range(2):
        cut = -1
        for m in _DASH_TAIL_RE.finditer(title):
            if _names_only(title[m.end() :].strip(" \t.;:!"), keys):
                cut = m.start()
                break
        if cut < 0:
            comma = title.rfind(", ")
            if comma > 0 and _names_only(title[comma + 2 :].strip(" \t.;:!"), keys):
                cut = comma
        if cut <= 0:
            return title
        title = title[:cut].rstrip()
    return title


# ---------------------------------------------------------------- shape


def _tidy(title: str) -> str:
    """Spaces, dropped URLs and their dangling "in", trailing punctuation, a final `:`."""
    if "\x00" in title:
        parts = title.split("\x00")
        title = parts[0]
        for part in parts[1:]:
            title = _DANGLING_PREP_RE.sub("", title.rstrip()) if not part.strip() or part[:1] in " .,;:" else title
            title += part
    title = _SPACE_RE.sub(" ", title)
    title = _SPACE_PUNCT_RE.sub(r"\1", title)
    title = _EMPTY_PARENS_RE.sub("", title)
    title = title.strip(" \t-–—,;:*+|")
    if title.endswith(".") and not title.endswith("..") and not title.endswith("etc."):
        title = title[:-1].rstrip()
    return title.rstrip(" ,;:-–—")


def _drop_trailing_label(title: str) -> str:
    """`Improve the template. Proposed additions:` -> `Improve the template` (a label for a list)."""
    if not title.endswith(":"):
        return title
    for sep in (". ", "; ", "? ", "! "):
        cut = title.rfind(sep)
        if cut > 0:
            return title[: cut + 1]
    return title


def cut_title(title: str, limit: int = TITLE_MAX) -> str:
    """At most `limit` characters: cut where a clause ends, else at a word with an ellipsis."""
    if len(title) <= limit:
        return title
    title = _drop_asides(title)
    if len(title) <= limit:
        return title
    allowed = _outside_brackets(title, limit)
    for minimum, seps in _BOUNDARIES:
        best = -1
        for sep in seps:
            at = title.rfind(sep, minimum, limit + len(sep))
            while at >= minimum and not (allowed[at] and _ends_clause(title, at, sep, minimum)):
                at = title.rfind(sep, minimum, at + len(sep) - 1)
            best = max(best, at)
        if best >= minimum:
            return _drop_dangling(title[:best].rstrip(" ,;:-–—"))
    cut = title[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—(") + ELLIPSIS


def _ends_clause(title: str, at: int, sep: str, minimum: int) -> bool:
    """Whether `sep` at `at` ends a clause: not the dot of `e.g.`, `etc.` or `J.`; an
    `and`/`or` before a verb (`review and merge it`) ends one, before a noun
    (`notebooks and themes`) only when nothing better is found (the weakest kind)."""
    if sep in (" and ", " or ") and minimum < 30:
        following = title[at + len(sep) : at + len(sep) + 40].split(" ", 1)[0].casefold()
        return following in VERBS or _third_person(following) != ""
    word = title[max(0, at - 40) : at].rsplit(" ", 1)[-1]
    if sep == " to ":
        return word.casefold() not in _TAKES_TO  # `would want | to include` is one clause
    if sep != ". ":
        return True
    single_letter = len(word) == 1 and word.isalpha()
    return "." not in word and word.casefold() not in _ABBREVIATIONS and not single_letter


_TAKES_TO = frozenset("want wants need needs have has had going able how what where when trying try tried order used due".split())
# Words a cut must not leave at the end (`... step so`, `... the work that`): they open what was cut.
_DANGLING = frozenset("so and or to that which the a an of for with in on at by from if when but as such".split())
_ABBREVIATIONS = frozenset("etc vs approx incl esp cf dr mr ms mrs st no".split())


def _drop_dangling(title: str) -> str:
    """Without the function words a cut left at the end (`the step so` -> `the step`)."""
    for _ in range(3):
        head, _sep, last = title.rpartition(" ")
        if not head or last.casefold() not in _DANGLING:
            break
        title = head.rstrip(" ,;:-–—")
    return title


def _drop_asides(title: str) -> str:
    """A long title without its parenthetical asides (not one that starts it): the body keeps them.

    An aside followed by a capital ends a sentence (`should be (2-3!) Kim says`): a `.` stays.
    """
    out: list[str] = []
    pos = 0
    for m in _PAREN_RE.finditer(title):
        if m.start() > 0:
            out.append(title[pos : m.start()])
            after = title[m.end() : m.end() + 2]
            if after[:1] == " " and after[1:].isupper() and not out[-1].rstrip().endswith((".", "!", "?", ":", ";")):
                out.append(".")
            pos = m.end()
    out.append(title[pos:])
    return _SPACE_PUNCT_RE.sub(r"\1", "".join(out)).strip()


def _outside_brackets(title: str, limit: int) -> list[bool]:
    """For each position up to `limit`: whether it is outside parentheses and quotes."""
    depth = 0
    quoted = False
    out: list[bool] = []
    for ch in title[: limit + 1]:
        out.append(depth == 0 and not quoted)
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch in '"“”':
            quoted = not quoted if ch == '"' else ch == "“"
    return out


def starts_with_code(title: str) -> bool:
    """Whether the first word is code or a reference (`n_features`, `README.md`, `org/repo#1`)."""
    first = title.split(maxsplit=1)[0].rstrip(".,;:!?") if title.strip() else ""
    if first.startswith("`") or any(ch in "_.#@=()<>[]\\" for ch in first):
        return True
    return any(ch.isupper() for ch in first[1:]) and first[0].islower()  # camelCase, iOS


def capitalise(title: str) -> str:
    """Upper-case first letter, unless the title starts with code."""
    if not title or starts_with_code(title) or not title[0].islower():
        return title
    return title[0].upper() + title[1:]
