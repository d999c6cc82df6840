"""What the notes want: one parsed notes file -> the issues it asks for (pure).

The planner compares these with GitHub's issues; keeping them apart lets the
rules about the notes (which items open an issue, who owns one, how an item
is known again after edits) be read and tested without any issue in sight.

- one issue per item that opens one; a parent with owned sub-items opens one too;
- done items are included: they close their issues (and never open one);
- an item's key is its notes repository, meeting date and text when first seen
  (no path or line for a dated meeting), so moving it, or renaming its file,
  keeps its identity; an undated item's key also names the file it was first
  seen in (two files' identical undated lines are two items), and when that
  file moves its text finds it again (`engine.read.keep_permalinks`, the
  planner's `match_moved`);
- owners are mapped to logins from the roster only, never guessed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote

from actionbot.core.config import Config, name_key
from actionbot.core.matching import normalise_text
from actionbot.core.names import LOGIN
from actionbot.core.titles import issue_title
from actionbot.notes.model import Item, Notes


@dataclass(frozen=True)
class NotesContext:
    """Where the notes were read: for permalinks and identity."""

    repo: str  # OWNER/NAME of the notes repository
    html_url: str  # e.g. https://github.com/OWNER/NAME (GHES: its own host)
    sha: str  # the commit read
    path: str  # the notes file


def permalink(html_url: str, sha: str, path: str, line: int | None) -> str:
    """A link to `path` at commit `sha` (line `line`), stable whatever happens to the branch."""
    url = f"{html_url.rstrip('/')}/blob/{sha}/{quote(path)}"
    return f"{url}#L{line}" if line else url


@dataclass(frozen=True)
class Owner:
    name: str  # as written in the notes
    login: str | None  # from the roster (or an @handle); None: not mapped, never guessed
    tentative: bool = False


@dataclass(frozen=True)
class Task:
    """An un-owned sub-item: a task-list line in its parent's issue."""

    text: str
    done: bool
    depth: int = 0


@dataclass(frozen=True)
class SubItem:
    """An owned sub-item: it has its own issue, linked from its parent's."""

    key: str
    title: str
    owners: tuple[Owner, ...]
    done: bool


@dataclass(frozen=True)
class DesiredIssue:
    """What the notes say one action item's issue should be."""

    key: str
    context: NotesContext
    line: int
    meeting_date: str | None
    meeting_title: str | None
    meeting_line: int | None
    text: str  # the item's whole text, plain
    title: str
    owners: tuple[Owner, ...] = ()
    refs: tuple[str, ...] = ()
    tasks: tuple[Task, ...] = ()
    sub_items: tuple[SubItem, ...] = ()
    parent_key: str | None = None
    done: bool = False
    source: str = "section"
    # normalise_text(text, owners' names) when whoever built this had it already (the key needs it)
    norm: str | None = field(default=None, compare=False, repr=False)

    @property
    def repo(self) -> str:
        return self.context.repo

    @property
    def path(self) -> str:
        return self.context.path

    @property
    def permalink(self) -> str:
        c = self.context
        return permalink(c.html_url, c.sha, c.path, self.line)

    @cached_property
    def norm_text(self) -> str:
        """The text the matcher compares (read many times per plan: computed once)."""
        return self.norm if self.norm is not None else normalise_text(self.text, [o.name for o in self.owners])

    def logins(self, *, tentative: bool = False) -> tuple[str, ...]:
        """Mapped owners' logins, in order, without repeats (tentative ones only if asked)."""
        out: list[str] = []
        for o in self.owners:
            if o.login and (tentative or not o.tentative) and o.login.casefold() not in {x.casefold() for x in out}:
                out.append(o.login)
        return tuple(out)


def resolve_owner(name: str, config: Config, notes_people: Mapping[str, str] | None = None) -> str | None:
    """The GitHub login for an owner as written, from the roster only (never guessed).

    `@handle` owners are their own login (teams, `@org/team`, can not be assigned).
    The configuration's `people:` wins over check-in lines found in the notes.
    """
    stripped = name.strip()
    if stripped.startswith("@"):
        handle = stripped[1:]
        return handle if LOGIN.fullmatch(handle) else None
    login = config.login_for(stripped)
    if login:
        return login
    if notes_people:
        key = name_key(stripped)
        for k, v in notes_people.items():
            if name_key(k) == key:
                v = v.strip().lstrip("@")
                return v if LOGIN.fullmatch(v) else None
    return None


def item_key(repo: str, meeting_date: str | None, path: str, norm_text: str, ordinal: int = 1) -> str:
    """A stable key: notes repo + meeting date + text at creation (no path or line for dated meetings)."""
    anchor = meeting_date or f"undated:{path}"
    seed = f"{repo.casefold()}\n{anchor}\n{norm_text}" + (f"\n#{ordinal}" if ordinal > 1 else "")
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:16]


def desired_issues(notes: Notes, config: Config, context: NotesContext) -> tuple[DesiredIssue, ...]:
    """The issues one notes file asks for, including done items (they close their issues)."""
    items = notes.items
    worthy = _worthy(notes, config)
    owners_of = {i: _owners(items[i], config, notes.people) for i in worthy}
    # The normalised text gives the key and is what the matcher compares: worked out once.
    norms = {i: normalise_text(_whole(items[i]), [o.name for o in owners_of[i]]) for i in worthy}
    tree = _Tree(
        items=items,
        children=_children(items),
        worthy=worthy,
        keys=_keys(notes, context, worthy, norms),
        norms=norms,
        owners_of=owners_of,
        tracking=config.tracking_repo or context.repo,  # where a bare #N points
    )
    return tuple(_desired_one(notes, context, tree, i) for i in sorted(worthy))


def _children(items: Sequence[Item]) -> dict[int, list[int]]:
    """Each parent's sub-items, in order (self- and out-of-range parents ignored)."""
    children: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        if item.parent is not None and 0 <= item.parent < len(items) and item.parent != i:
            children.setdefault(item.parent, []).append(i)
    return children


def _meeting_of(notes: Notes, item: Item) -> tuple[str | None, str | None, int | None]:
    """The item's meeting (date, title, line), or Nones when it has none or the index is bad."""
    if item.meeting is None or item.meeting >= len(notes.meetings):
        return None, None, None
    m = notes.meetings[item.meeting]
    return m.date, m.title, m.line


def _eligible(notes: Notes, config: Config, i: int) -> bool:
    """Whether item i may have an issue at all: inline actions allowed, meeting not before `since`."""
    item = notes.items[i]
    if item.source == "inline" and not config.inline_actions:
        return False
    return not config.before_since(_meeting_of(notes, item)[0])


def _worthy(notes: Notes, config: Config) -> set[int]:
    """The indices of the items that get an issue."""
    items = notes.items
    worthy = {
        i for i, it in enumerate(items)
        if _eligible(notes, config, i) and (it.opens_issue or (it.done and (it.parent is None or bool(it.owners))))
    }  # fmt: skip
    # A parent whose sub-items open issues opens one too: they link from it.
    changed = True
    while changed:
        changed = False
        for i in list(worthy):
            p = _parent(items, i)
            if p is not None and p not in worthy and _eligible(notes, config, p):
                worthy.add(p)
                changed = True
    return worthy


def _keys(notes: Notes, context: NotesContext, worthy: set[int], norms: Mapping[int, str]) -> dict[int, str]:
    """Each worthy item's key; identical texts in one meeting are told apart by their order."""
    keys: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i in sorted(worthy):
        date = _meeting_of(notes, notes.items[i])[0]
        base = item_key(context.repo, date, context.path, norms[i])
        seen[base] = seen.get(base, 0) + 1
        keys[i] = item_key(context.repo, date, context.path, norms[i], seen[base])
    return keys


@dataclass(frozen=True)
class _Tree:
    """One notes file's items with what desired_issues worked out about them."""

    items: Sequence[Item]
    children: Mapping[int, list[int]]
    worthy: set[int]
    keys: Mapping[int, str]
    norms: Mapping[int, str]
    owners_of: Mapping[int, tuple[Owner, ...]]
    tracking: str
    titles: dict[tuple[int, bool], str] = field(default_factory=dict)

    def title(self, i: int, *, own_only: bool = False) -> str:
        """Item i's issue title; an item whose own text says only who (`@kim will:`) is
        titled by its sub-items' texts, unless `own_only`. Worked out once: a sub-item's
        title shows in its parent's issue as well as on its own."""
        parts = () if own_only else tuple(_whole(self.items[c]) for c in self.children.get(i, ()))
        key = (i, bool(parts))
        if key not in self.titles:
            self.titles[key] = issue_title(_whole(self.items[i]), self.items[i].owners, repo=self.tracking, parts=parts)
        return self.titles[key]

    def below(self, parent: int, depth: int, tasks: list[Task], subs: list[SubItem]) -> None:
        """Collect what hangs under `parent`: worthy children as sub-issues, the rest as tasks (recursively)."""
        items = self.items
        for c in self.children.get(parent, ()):
            if c in self.worthy:
                subs.append(SubItem(self.keys[c], self.title(c, own_only=True), self.owners_of[c], items[c].done))
            else:
                tasks.append(Task(_whole(items[c]), items[c].done, depth))
                self.below(c, depth + 1, tasks, subs)

    def worthy_parent(self, i: int) -> int | None:
        """The nearest ancestor that has an issue (bounded: a bad parent chain cannot loop)."""
        parent = _parent(self.items, i)
        hops = 0
        while parent is not None and parent not in self.worthy and hops < len(self.items):
            parent = _parent(self.items, parent)
            hops += 1
        return parent


def _desired_one(notes: Notes, context: NotesContext, tree: _Tree, i: int) -> DesiredIssue:
    """The issue worthy item i asks for."""
    item = tree.items[i]
    tasks: list[Task] = []
    subs: list[SubItem] = []
    tree.below(i, 0, tasks, subs)
    date, title, mline = _meeting_of(notes, item)
    parent = tree.worthy_parent(i)
    return DesiredIssue(
        key=tree.keys[i],
        context=context,
        line=item.line,
        meeting_date=date,
        meeting_title=title,
        meeting_line=mline,
        text=_whole(item),
        title=tree.title(i),
        owners=tree.owners_of[i],
        refs=item.refs,
        tasks=tuple(tasks),
        sub_items=tuple(subs),
        parent_key=tree.keys.get(parent) if parent is not None else None,
        done=item.done,
        source=item.source,
        norm=tree.norms[i],
    )


def _parent(items: Sequence[Item], i: int) -> int | None:
    """The parent index, or None when absent or out of range (never trust an index blindly)."""
    p = items[i].parent
    return p if p is not None and 0 <= p < len(items) and p != i else None


def _whole(item: Item) -> str:
    return item.body.strip() or item.text.strip()


def _owners(item: Item, config: Config, people: Mapping[str, str]) -> tuple[Owner, ...]:
    tentative = {t.casefold() for t in item.tentative_owners}
    return tuple(Owner(n, resolve_owner(n, config, people), n.casefold() in tentative) for n in item.owners)


def scope_of(notes: Notes, config: Config) -> frozenset[tuple[str, str | None]]:
    """The (path, meeting date) pairs a run read in full: only their items can be 'removed'."""
    pairs = {(notes.path, m.date) for m in notes.meetings if not config.before_since(m.date)}
    if any(it.meeting is None for it in notes.items) or not notes.meetings:
        pairs.add((notes.path, None))
    return frozenset(pairs)
