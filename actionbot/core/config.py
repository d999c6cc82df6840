"""`.github/actionbot.yml`: the repository's configuration, with errors that name the line.

The file is read at the commit being processed. Absent, the defaults apply;
invalid, `load_config` raises `ConfigError` (an `InputError`) naming the line at
fault and the fix, so that the check run can show it to the person who pushed
it: a broken configuration is never silently replaced by an older valid one.
Lines come from the YAML node marks, so every key's line is known.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import fnmatch
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import yaml

from actionbot.core.globs import check_glob, compile_globs
from actionbot.core.names import LOGIN, REPO_NAME
from actionbot.notes.model import InputError

CONFIG_PATH = ".github/actionbot.yml"

OnRemoved = Literal["comment", "close", "ignore"]
ON_REMOVED = ("comment", "close", "ignore")
OnReview = Literal["close", "comment", "ignore"]
ON_REVIEW = ("close", "comment", "ignore")

# GitHub's secondary limits allow about 80 content-creating requests a minute
# and 500 an hour. With writes paced one a
# second, 80 writes is one minute of writing: a first sync of a large history
# spreads over several runs instead of tripping the limit.
DEFAULT_MAX_WRITES = 80
# Hard limits no configuration can raise: what keeps reading bounded is not up to
# whoever edits the file (a pull request's preview uses the base branch's anyway).
MAX_FILE_BYTES_CEILING = 5_000_000
MAX_CONFIG_CHARS = 100_000  # the file itself, roster included
MAX_ENTRIES = 1_000  # entries of one list (notes globs, sections, labels)
MAX_PEOPLE = 5_000  # entries of the roster
MAX_NUMBER = 1_000_000_000
MAX_DEPTH = 50  # [ and { nesting: deeper is no configuration, and the YAML composer recurses on it

_LABEL_MAX = 50  # GitHub rejects longer label names


class ConfigError(InputError):
    """An invalid configuration file: `.path`, `.line` (1-based or None), `.message` with the fix."""


@dataclass(frozen=True)
class Labels:
    """Names of the labels actionbot manages (all configurable)."""

    action_item: str = "action item"
    meeting: str = "meeting: {date}"  # {date} is the meeting's YYYY-MM-DD
    needs_owner: str = "needs owner"
    refs_closed: str = "refs closed"
    removed: str = "removed from notes"
    carried_over: str = "carried over"
    dashboard: str = "actionbot dashboard"

    def for_meeting(self, date: str) -> str:
        return self.meeting.replace("{date}", date)

    def is_meeting_label(self, name: str) -> bool:
        """True for a label this configuration would make for some meeting date."""
        prefix, _, suffix = self.meeting.partition("{date}")
        if not (name.startswith(prefix) and name.endswith(suffix)):
            return False
        middle = name[len(prefix) : len(name) - len(suffix) if suffix else None]
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", middle))


@dataclass(frozen=True)
class MeetingIssues:
    """Which issues are meeting issues (the review list is kept on them): a label, or a title glob."""

    labels: tuple[str, ...] = ("meeting",)
    title: str | None = "*meeting*"  # fnmatch-style, case-insensitive; None: labels only

    def matches(self, title: str, labels: tuple[str, ...]) -> bool:
        folded = {lb.casefold() for lb in labels}
        if any(lb.casefold() in folded for lb in self.labels):
            return True
        return bool(self.title) and fnmatch.fnmatchcase(title.casefold(), (self.title or "").casefold())


@dataclass(frozen=True)
class Reminders:
    """Nudge the owners of an item whose issue has been quiet for `after_days`."""

    after_days: int = 14
    per_day: int = 20  # at most this many reminders per repository per day


@dataclass(frozen=True)
class Config:
    """The whole configuration; every field has the default documented in the README."""

    notes: tuple[str, ...] = ("docs/meetings/**/*.md",)
    sections: tuple[str, ...] = ()
    inline_actions: bool = False
    tracking_repo: str | None = None
    since: str | None = None  # ISO date; meetings dated before it are ignored
    people: dict[str, str] = field(default_factory=dict)  # name as written -> login
    labels: Labels = field(default_factory=Labels)
    on_removed: OnRemoved = "comment"
    close_when_refs_closed: bool = False
    dashboard: bool = True
    max_writes_per_run: int = DEFAULT_MAX_WRITES
    max_file_bytes: int = 1_000_000
    review_sections: tuple[str, ...] = ()  # more headings that review earlier actions
    on_review: OnReview = "close"
    meeting_issues: MeetingIssues | None = None  # off when absent
    reminders: Reminders | None = None  # off when absent
    _people_index: dict[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_people_index", {name_key(k): v for k, v in self.people.items()})

    def matches(self, path: str) -> bool:
        """True when `path` (repository-relative) is a notes file."""
        return compile_globs(self.notes).matches(path)

    def login_for(self, name: str) -> str | None:
        """The roster's login for a name as written (case and spacing ignored)."""
        return self._people_index.get(name_key(name))

    def before_since(self, date: str | None) -> bool:
        """Whether a meeting of `date` is before `since` and so ignored.

        A meeting dated by its month only (YYYY-MM) is before `since` only when
        the whole month is: June's notes still count for `since: 2022-06-15`.
        """
        if not (self.since and date):
            return False
        return date < self.since[: len(date)] if len(date) < len(self.since) else date < self.since


DEFAULT_CONFIG = Config()


def name_key(name: str) -> str:
    """How a written name is looked up in a roster: spacing and case do not count."""
    return " ".join(name.split()).casefold()


# ---------------------------------------------------------------- loading


def load_config(text: str | None, path: str = CONFIG_PATH) -> Config:
    """Parse the configuration file's text (None: the file is absent -> defaults)."""
    if text is None:
        return DEFAULT_CONFIG
    if len(text) > MAX_CONFIG_CHARS:
        raise ConfigError(path, f"is {len(text)} characters; a configuration is at most {MAX_CONFIG_CHARS}", None)
    if _flow_depth(text) > MAX_DEPTH:
        raise ConfigError(path, f"invalid YAML: lists or mappings nested more than {MAX_DEPTH} deep; flatten them", None)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # refuses control characters before anything is parsed
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _TooLarge as exc:
        raise ConfigError(path, f"a number of {exc.digits} digits; numbers here are at most {MAX_NUMBER}", exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise ConfigError(
            path, f"invalid YAML: {problem}; fix the syntax at this line (indentation, quotes, ':')", line
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ConfigError(path, f"invalid YAML: the control character U+{char:04X} is not allowed; remove it", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {' '.join(str(exc).split())}", None) from None
    except RecursionError:
        raise ConfigError(path, "invalid YAML: lists or mappings nested too deeply; flatten them", None) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None or node is None:  # no node, no data
        return DEFAULT_CONFIG
    return _Reader(path).config(node, data)


class _TooLarge(Exception):
    """An integer past Python's 4,300-digit conversion limit (a ValueError, and a traceback, otherwise)."""

    def __init__(self, node: yaml.Node):
        super().__init__()
        self.line = node.start_mark.line + 1
        self.digits = len(str(node.value))


class _Loader(yaml.SafeLoader):
    """SafeLoader whose impossible dates (2024-13-01) stay text, so the key's reader names the line,
    and whose integers too long to convert are one error naming theirs."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise _TooLarge(node) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


_TOP_KEYS = tuple(f.name for f in fields(Config) if f.init)
_LABEL_KEYS = tuple(f.name for f in fields(Labels))
_BOOL_KEYS = ("inline_actions", "close_when_refs_closed", "dashboard")  # read by _Reader._bool alone


class _Reader:
    """Validates the composed YAML tree against the schema, with lines from node marks."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, node: yaml.Node | None, message: str) -> ConfigError:
        return ConfigError(self.path, message, node.start_mark.line + 1 if node is not None else None)

    def mapping(self, node: yaml.Node, data: Any, what: str) -> list[tuple[yaml.Node, str, yaml.Node, Any]]:
        """(key node, key, value node, value) for each entry of a mapping, rejecting repeats."""
        if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
            raise self.fail(node, f"{what} must be a mapping of `key: value` lines")
        out: list[tuple[yaml.Node, str, yaml.Node, Any]] = []
        seen: dict[str, int] = {}
        by_text = _keys_by_text(data)
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.fail(knode, f"{what}: keys must be plain names")
            if key in seen:
                raise self.fail(knode, f"`{_shown(key)}` is given twice (first at line {seen[key]}); keep one")
            seen[key] = knode.start_mark.line + 1
            out.append((knode, key, vnode, data.get(by_text.get(key, key))))
        return out

    def config(self, node: yaml.Node, data: Any) -> Config:
        values: dict[str, Any] = {}
        for knode, key, vnode, value in self.mapping(node, data, "the configuration"):
            if key not in _TOP_KEYS:
                raise self.fail(knode, f"unknown key `{_shown(key)}`{_suggest(key, _TOP_KEYS)}; the keys are: {', '.join(_TOP_KEYS)}")
            if key in _BOOL_KEYS:
                values[key] = self._bool(vnode, value, key)
            else:
                values[key] = getattr(self, f"read_{key}")(vnode, value)
        return replace(DEFAULT_CONFIG, **values)

    # ---- one reader per key (true/false keys share _bool)

    def _globs(self, node: yaml.Node, value: Any, key: str) -> tuple[str, ...]:
        items = self._strings(node, value, key)
        for item, inode in zip(items, _seq_nodes(node, len(items)), strict=False):
            reason = check_glob(item)
            if reason:
                raise self.fail(inode, f"`{key}`: invalid glob {_short(item)}: {reason}")
        return items

    def _strings(self, node: yaml.Node, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            raise self.fail(node, f"`{key}` must be a list of strings, e.g. `{key}: [\"...\"]`")
        if len(value) > MAX_ENTRIES:
            raise self.fail(node, f"`{key}` has {len(value)} entries; at most {MAX_ENTRIES}")
        for item, inode in zip(value, _seq_nodes(node, len(value)), strict=False):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(inode, f"`{key}`: every entry must be a non-empty string (quote it)")
        return tuple(value)

    def _bool(self, node: yaml.Node, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(node, f"`{key}` must be true or false, not {value!r}")
        return value

    def _int(self, node: yaml.Node, value: Any, key: str, minimum: int, maximum: int = MAX_NUMBER) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(node, f"`{key}` must be a whole number, not {_short(value)}")
        if value < minimum:
            raise self.fail(node, f"`{key}` must be at least {minimum}")
        if value > maximum:
            raise self.fail(node, f"`{key}` must be at most {maximum}")
        return value

    def read_notes(self, node: yaml.Node, value: Any) -> tuple[str, ...]:
        return self._globs(node, value, "notes")

    def read_sections(self, node: yaml.Node, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        return tuple(s.strip() for s in self._strings(node, value, "sections"))

    def read_max_writes_per_run(self, node: yaml.Node, value: Any) -> int:
        return self._int(node, value, "max_writes_per_run", 1)

    def read_max_file_bytes(self, node: yaml.Node, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_FILE_BYTES_CEILING:
            raise self.fail(
                node, f"`max_file_bytes` must be at most {MAX_FILE_BYTES_CEILING} (5 MB, a limit no configuration can raise); split larger notes"
            )
        return self._int(node, value, "max_file_bytes", 1)

    def read_tracking_repo(self, node: yaml.Node, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not REPO_NAME.fullmatch(value.strip()):
            raise self.fail(node, f"`tracking_repo` must be OWNER/NAME (e.g. `jupyterhub/team-compass`), not {value!r}")
        return value.strip()

    def read_since(self, node: yaml.Node, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, _dt.datetime):
            return value.date().isoformat()
        if isinstance(value, _dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise self.fail(node, f"`since` must be a date written YYYY-MM-DD (e.g. `since: 2024-01-01`), not {value!r}")

    def read_people(self, node: yaml.Node, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(node, yaml.MappingNode) and len(node.value) > MAX_PEOPLE:
            raise self.fail(node, f"`people` has {len(node.value)} entries; at most {MAX_PEOPLE}")
        people: dict[str, str] = {}
        for _knode, name, vnode, login in self.mapping(node, value, "`people`"):
            if not isinstance(login, str) or not LOGIN.fullmatch(login.strip().lstrip("@")):
                raise self.fail(
                    vnode,
                    f"`people`: {name!r} must map to a GitHub login (e.g. `{name}: octocat`), not {login!r}",
                )
            people[" ".join(name.split())] = login.strip().lstrip("@")
        return people

    def read_labels(self, node: yaml.Node, value: Any) -> Labels:
        if value is None:
            return Labels()
        names: dict[str, str] = {}
        where: dict[str, yaml.Node] = {}
        for knode, key, vnode, name in self.mapping(node, value, "`labels`"):
            if key not in _LABEL_KEYS:
                raise self.fail(knode, f"unknown label `{_shown(key)}`{_suggest(key, _LABEL_KEYS)}; the labels are: {', '.join(_LABEL_KEYS)}")
            if not isinstance(name, str) or not name.strip():
                raise self.fail(vnode, f"`labels.{key}` must be a label name (a non-empty string)")
            name = name.strip()
            if len(name) > _LABEL_MAX:
                raise self.fail(vnode, f"`labels.{key}` is {len(name)} characters; GitHub allows at most {_LABEL_MAX}")
            if key == "meeting" and name.count("{date}") != 1:
                raise self.fail(vnode, "`labels.meeting` must contain `{date}` once, e.g. \"meeting: {date}\"")
            names[key] = name
            where[key] = vnode
        labels = Labels(**names)
        seen: dict[str, str] = {}
        for key in _LABEL_KEYS:
            name = getattr(labels, key).casefold()
            if name in seen:
                raise self.fail(where.get(key) or node, f"`labels.{key}` and `labels.{seen[name]}` have the same name; give each its own")
            seen[name] = key
        return labels

    def read_review_sections(self, node: yaml.Node, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        return tuple(s.strip() for s in self._strings(node, value, "review_sections"))

    def read_on_review(self, node: yaml.Node, value: Any) -> str:
        if value not in ON_REVIEW:
            raise self.fail(node, f"`on_review` must be one of {', '.join(ON_REVIEW)}, not {value!r}")
        return value

    def read_meeting_issues(self, node: yaml.Node, value: Any) -> MeetingIssues | None:
        if value is None or value is False:
            return None
        if value is True:
            return MeetingIssues()
        fields_: dict[str, Any] = {}
        for knode, key, vnode, item in self.mapping(node, value, "`meeting_issues`"):
            if key == "labels":
                fields_["labels"] = tuple(s.strip() for s in self._strings(vnode, item, "meeting_issues.labels"))
            elif key == "title":
                if item is not None and (not isinstance(item, str) or not item.strip()):
                    raise self.fail(vnode, f"`meeting_issues.title` must be a glob such as \"*meeting*\", not {item!r}")
                fields_["title"] = item.strip() if isinstance(item, str) else None
            else:
                raise self.fail(knode, f"unknown key `meeting_issues.{_shown(key)}`{_suggest(key, ('labels', 'title'))}; the keys are: labels, title")
        return MeetingIssues(**fields_)

    def read_reminders(self, node: yaml.Node, value: Any) -> Reminders | None:
        if value is None or value is False:
            return None
        fields_: dict[str, Any] = {}
        for knode, key, vnode, item in self.mapping(node, value, "`reminders`"):
            if key == "after_days":
                fields_["after_days"] = self._int(vnode, item, "reminders.after_days", 1)
            elif key == "per_day":
                fields_["per_day"] = self._int(vnode, item, "reminders.per_day", 1)
            else:
                raise self.fail(knode, f"unknown key `reminders.{_shown(key)}`{_suggest(key, ('after_days', 'per_day'))}; the keys are: after_days, per_day")
        return Reminders(**fields_)

    def read_on_removed(self, node: yaml.Node, value: Any) -> str:
        if value not in ON_REMOVED:
            raise self.fail(node, f"`on_removed` must be one of {', '.join(ON_REMOVED)}, not {value!r}")
        return value


def _keys_by_text(data: dict[Any, Any]) -> dict[str, Any]:
    """Each constructed key by the text it was written as (YAML may turn `true` or `1` into
    non-strings): a key node's own text finds it, a string key first. Built once per mapping,
    so thousands of numeric keys cost one pass, not one pass each."""
    index: dict[str, Any] = {k: k for k in data if isinstance(k, str)}
    for k in data:
        index.setdefault(str(k), k)
    return index


def _flow_depth(text: str) -> int:
    """How deep `[` and `{` nest (quotes not told apart: only ever an over-estimate)."""
    depth = deepest = 0
    for ch in text:
        if ch == "[" or ch == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif (ch == "]" or ch == "}") and depth:
            depth -= 1
    return deepest


def _shown(key: str, limit: int = 40) -> str:
    """A key as an error message shows it: one line, cut (a YAML key may be a long block of text)."""
    text = " ".join(key.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any, limit: int = 40) -> str:
    """A value as an error message shows it: its repr, cut (a huge number or string stays one short line)."""
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 128 else f"a {len(str(value))}-digit number"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seq_nodes(node: yaml.Node, n: int) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [node] * n


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
