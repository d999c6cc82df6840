"""`@actionbot` commands in issue comments: the table, the parser, the rules, the replies.

Each command lives in one row of `COMMANDS` with its syntax, its help text and
its permission rule, so `help_text` (and the README's table) is generated from
the same data the handler enforces: the documentation cannot drift from the
code (the Prow / MeeseeksDev shape). Everything here is pure: the handler in
`actionbot/service/handlers/commands.py` feeds it comment bodies and permissions and
does the talking to GitHub.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from actionbot.core.names import LOGIN
from actionbot.core.safe_text import code

DEFAULT_HANDLE = "actionbot"
MAX_ASSIGNEES = 10  # GitHub's own cap on assignees of one issue

# Roles of the collaborator-permission endpoint. Its legacy `permission` field
# folds maintain into "write" and triage into "read"; `role_name` keeps them
# apart, so callers should pass `role_name` when they have it.
TRIAGE_OR_MORE = frozenset({"admin", "maintain", "write", "triage"})


class Rule(enum.Enum):
    """Who may run a command."""

    ANYONE = "anyone"
    OWNERS_OR_TRIAGE = "owners of the item, or write/triage access"
    TRIAGE = "write/triage access"


@dataclass(frozen=True)
class Spec:
    """One row of the command table."""

    name: str
    syntax: str  # as shown in help, without the handle
    summary: str  # what it does, one sentence
    rule: Rule
    takes: str = ""  # "" (no arguments) | "users" | "refs"
    self_service: bool = False  # `me` (only the sender) is allowed for anyone
    any_issue: bool = False  # may be used on an issue that is not an action item yet

    def who(self) -> str:
        """Who may use it, in words (for help and refusals)."""
        if self.self_service:
            return f"{self.rule.value}; anyone for `me`"
        return self.rule.value


COMMANDS: tuple[Spec, ...] = (
    Spec("help", "help", "Reply with these commands and who may use them.", Rule.ANYONE),
    Spec("status", "status", "Reply with the item's owners, meeting, references and their state.", Rule.ANYONE),
    Spec("done", "done", "Close the item as completed.", Rule.OWNERS_OR_TRIAGE),
    Spec("drop", "drop", "Close the item as not planned.", Rule.OWNERS_OR_TRIAGE),
    Spec("reopen", "reopen", "Reopen the item.", Rule.OWNERS_OR_TRIAGE),
    Spec(
        "assign",
        "assign @user ... | assign me",
        f"Assign users who can be assigned in this repository (at most {MAX_ASSIGNEES}).",
        Rule.TRIAGE,
        takes="users",
        self_service=True,
    ),
    Spec(
        "unassign",
        "unassign @user ... | unassign me",
        "Unassign users.",
        Rule.TRIAGE,
        takes="users",
        self_service=True,
    ),
    Spec(
        "link",
        "link owner/repo#N ...",
        "Track a pull request or issue (also a GitHub URL, or #N in this repository); kept across syncs.",
        Rule.OWNERS_OR_TRIAGE,
        takes="refs",
    ),
    Spec(
        "unlink",
        "unlink owner/repo#N ...",
        "Stop tracking a pull request or issue; kept across syncs.",
        Rule.OWNERS_OR_TRIAGE,
        takes="refs",
    ),
    Spec(
        "sync",
        "sync",
        "Re-read this item's notes (its file and meeting, at the default branch) and re-check its references now.",
        Rule.OWNERS_OR_TRIAGE,
    ),
    Spec(
        "dashboard",
        "dashboard",
        'Bring back the "Action items" dashboard issue (reopen or recreate it) and refresh it.',
        Rule.OWNERS_OR_TRIAGE,
    ),
    Spec(
        "agenda",
        "agenda",
        "Reply with the review list for the next meeting: open items by owner, and what closed since the last one.",
        Rule.ANYONE,
        any_issue=True,
    ),
    Spec(
        "track",
        "track",
        "Make this ordinary issue an action item (works on any issue).",
        Rule.TRIAGE,
        any_issue=True,
    ),
)

SPECS: dict[str, Spec] = {spec.name: spec for spec in COMMANDS}


# --- what a comment says -------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A well-formed command. `args` are logins (no "@", "me" kept) or refs."""

    name: str
    args: tuple[str, ...]
    line: str  # the command as written, for quoting in a reply

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]

    def logins(self, sender: str) -> tuple[str, ...]:
        """The users an assign/unassign targets, `me` resolved to the sender, no repeats."""
        seen: dict[str, str] = {}
        for arg in self.args:
            login = sender if arg.lower() == "me" else arg
            seen.setdefault(login.lower(), login)
        return tuple(seen.values())

    def refs(self, default_repo: str) -> tuple[str, ...]:
        """The references of a link/unlink as "owner/repo#N", "#N" resolved in `default_repo`."""
        out: list[str] = []
        for arg in self.args:
            ref = f"{default_repo}#{arg[1:]}" if arg.startswith("#") else arg
            if ref.lower() not in (r.lower() for r in out):
                out.append(ref)
        return tuple(out)


@dataclass(frozen=True)
class Malformed:
    """A known command whose arguments do not parse."""

    name: str
    line: str
    reason: str

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]


@dataclass(frozen=True)
class Unknown:
    """`@actionbot <something we do not know>`; `name` is what was typed ("" for nothing)."""

    name: str
    line: str


Parsed = Command | Malformed | Unknown

# GitHub's flavour as far as commands care: tables exist (a command in a cell is
# not a line of text), and escapes stay visible as tokens (`text_join` would
# merge `\@` back into plain text).
_md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")
# Stands in for inline code, inline HTML, images, an escaped `@`, and an `@` in
# link text or emphasis while lines are rebuilt: what it replaces can never be
# (part of) a command.
_HIDDEN = "\x00"
_STYLED = frozenset({"link_open", "em_open", "strong_open", "s_open"})
_UNSTYLED = frozenset({"link_close", "em_close", "strong_close", "s_close"})
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_SHORT_REF = re.compile(r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)?#(?P<num>[1-9][0-9]*)")
_URL_REF = re.compile(
    r"https?://[^/\s]+/(?:api/v3/repos/)?(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)"
    r"/(?:issues|pull|pulls)/(?P<num>[1-9][0-9]*)(?:[/?#]\S*)?"
)


def parse_ref(text: str) -> str | None:
    """`owner/repo#N`, `#N`, or a GitHub issue/PR URL -> "owner/repo#N" (or "#N"); else None."""
    text = text.strip().strip("<>").rstrip(".,;")
    for pattern in (_URL_REF, _SHORT_REF):
        m = pattern.fullmatch(text)
        if m:
            repo = m.group("repo")
            return f"{repo}#{m.group('num')}" if repo else f"#{m.group('num')}"
    return None


def _plain_lines(body: str) -> list[str]:
    """The comment's lines that can hold commands, as plain text.

    markdown-it finds what never triggers: code blocks (fenced, indented), HTML
    blocks and comments, block quotes, table cells, whatever `<details>`
    folds away, and inside paragraphs inline code, inline HTML, an escaped
    `\\@`, and an `@` in link text or emphasis (replaced by a placeholder). Headings and the
    first line of a list item do not start with the handle, so they never
    count either.
    """
    lines: list[str] = []
    quote_depth = details_depth = 0
    parents: list[Token] = []
    for token in _md.parse(body):
        if token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        elif token.type == "html_block":
            details_depth = _folded(token.content, details_depth)
        if token.nesting == 1:
            parents.append(token)
        elif token.nesting == -1:
            parents.pop()
        if token.type != "inline":
            continue
        folded_before = details_depth
        rebuilt, details_depth = _inline_lines(token.children or [], details_depth)
        if quote_depth or folded_before or not parents or parents[-1].type != "paragraph_open":
            continue
        # "- @actionbot done": the paragraph starts on the bullet's line
        after_bullet = (
            len(parents) >= 2
            and parents[-2].type == "list_item_open"
            and parents[-2].map is not None
            and token.map is not None
            and parents[-2].map[0] == token.map[0]
        )
        if after_bullet:
            rebuilt[0] = _HIDDEN
        lines.extend(rebuilt)
    return lines


def _folded(html: str, depth: int) -> int:
    """How many `<details>` are open after `html`, given `depth` open before it."""
    return max(0, depth + len(_DETAILS_OPEN.findall(html)) - len(_DETAILS_CLOSE.findall(html)))


def _inline_lines(children: list[Token], folded: int) -> tuple[list[str], int]:
    """A paragraph's inline tokens as lines of the text GitHub shows plainly, and the
    `<details>` still open after them (`folded`: open before them).

    A `<details>` opened inside a paragraph folds the rest of it away on GitHub
    too (the browser ends the paragraph there): what it folds is hidden.
    """
    current: list[str] = []
    rebuilt: list[str] = []
    styled = 0
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            rebuilt.append("".join(current))
            current = []
        elif child.type == "html_inline":
            folded = _folded(child.content, folded)
            current.append(_HIDDEN)
        elif child.type in _STYLED:
            styled += 1
        elif child.type in _UNSTYLED:
            styled = max(0, styled - 1)
        elif folded:
            current.append(_HIDDEN)
        elif child.type == "text":  # in link text or emphasis, no `@` can start a command
            current.append(child.content.replace("@", _HIDDEN) if styled else child.content)
        elif child.type == "text_special":  # an escape or an entity: `\@` and `&#64;` mention nobody
            current.append(child.content.replace("@", _HIDDEN))
        elif child.type in ("code_inline", "image"):
            current.append(_HIDDEN)
    rebuilt.append("".join(current))
    return rebuilt, folded


def _head(handle: str) -> re.Pattern[str]:
    handle = handle.removeprefix("@").removesuffix("[bot]")
    return re.compile(rf"@{re.escape(handle)}(?:\[bot\])?(?![\w-])[:,]?(?P<rest>.*)", re.IGNORECASE)


def parse_commands(comment_body: str, handle: str = DEFAULT_HANDLE) -> list[Parsed]:
    """Every `@handle <command> [args]` at the start of a line, in order."""
    if "@" + handle.removeprefix("@").removesuffix("[bot]").lower() not in comment_body.lower():
        return []  # fast path: most comments address nobody (no markdown parse)
    head = _head(handle)
    found: list[Parsed] = []
    for raw in _plain_lines(comment_body.replace("\r\n", "\n")):
        line = raw.strip()
        m = head.match(line)
        if not m:
            continue
        words = m.group("rest").split()
        if not words:
            found.append(Unknown("", line))
            continue
        typed = words[0].rstrip(",.!?:;")
        if _HIDDEN in typed:
            continue  # the command itself is in inline code or HTML
        spec = SPECS.get(typed.lower())
        if spec is None:
            found.append(Unknown(typed, line.replace(_HIDDEN, "…")))
            continue
        found.append(_parse_args(spec, [w for w in words[1:] if _HIDDEN not in w], line.replace(_HIDDEN, "…")))
    return found


def _parse_args(spec: Spec, words: list[str], line: str) -> Parsed:
    if spec.takes == "":
        return Command(spec.name, (), line)  # trailing words are the person's own prose
    parts = [p for w in words for p in w.split(",") if p and p.lower() != "and"]
    if spec.takes == "users":
        logins: list[str] = []
        for part in parts:
            login = part.removeprefix("@")
            if login.lower() == "me":
                login = "me"
            elif not LOGIN.fullmatch(login):
                return Malformed(spec.name, line, f"`{part}` is not a GitHub user name")
            if login.lower() not in (x.lower() for x in logins):
                logins.append(login)
        if not logins:
            return Malformed(spec.name, line, f"`{spec.name}` needs at least one @user, or `me`")
        if len(logins) > MAX_ASSIGNEES:
            return Malformed(spec.name, line, f"an issue takes at most {MAX_ASSIGNEES} assignees")
        return Command(spec.name, tuple(logins), line)
    refs: list[str] = []
    for part in parts:
        ref = parse_ref(part)
        if ref is None:
            return Malformed(
                spec.name, line, f"`{part}` is not a reference (write owner/repo#N, #N, or the issue or PR's URL)"
            )
        if ref.lower() not in (r.lower() for r in refs):
            refs.append(ref)
    if not refs:
        return Malformed(spec.name, line, f"`{spec.name}` needs at least one owner/repo#N")
    return Command(spec.name, tuple(refs), line)


# --- who may run what -------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Whether a command may run; when not, the permission that is missing, in words."""

    allowed: bool
    missing_permission_text: str = ""


def has_triage(permission: str) -> bool:
    """Write, maintain, admin, or triage access (role names of the collaborator endpoint)."""
    return permission.lower() in TRIAGE_OR_MORE


def may_run(command: Command, *, permission: str, is_owner: bool, sender: str | None = None) -> Decision:
    """Apply the command's rule. `me` (or the sender's own login) counts as self-service."""
    spec = command.spec
    if spec.rule is Rule.ANYONE or has_triage(permission):
        return Decision(True)
    if spec.rule is Rule.OWNERS_OR_TRIAGE:
        if is_owner:
            return Decision(True)
        return Decision(False, "write or triage access to this repository, or being an owner of this item")
    if spec.self_service:
        targets = command.logins(sender or "me")
        if targets and all(t.lower() in ("me", (sender or "me").lower()) for t in targets):
            return Decision(True)
        return Decision(False, f"write or triage access to this repository (anyone may `{spec.name} me`)")
    return Decision(False, "write or triage access to this repository")


# --- what the bot says -------------------------------------------------------------


def usages(spec: Spec, handle: str = DEFAULT_HANDLE) -> str:
    """The command's forms as inline code, e.g. "`@actionbot assign @user ...` / `@actionbot assign me`"."""
    handle = handle.removeprefix("@")
    return " / ".join(f"`@{handle} {s.strip()}`" for s in spec.syntax.split("|"))


def help_text(handle: str = DEFAULT_HANDLE) -> str:
    """The command table, generated from `COMMANDS`."""
    handle = handle.removeprefix("@")
    rows = [
        f"Write `@{handle} <command>` at the start of a line of a new comment "
        "(several commands: one per line). Quoted lines and code are ignored.",
        "",
        "| command | what it does | who may use it |",
        "|---|---|---|",
    ]
    rows += [f"| {usages(spec, handle)} | {spec.summary} | {spec.who()} |" for spec in COMMANDS]
    return "\n".join(rows)


def reply(who: str, quoted_command_line: str, outcome_text: str) -> str:
    """The one shape of every reply: the command quoted, who asked, what happened.

    The quote is inline code so that logins in it notify nobody, and a quote so
    that the bot never reads its own reply as a command.
    """
    return f"> {code(quoted_command_line)}\n\n@{who}: {outcome_text}"


def refusal_text(command: Command, decision: Decision, handle: str = DEFAULT_HANDLE) -> str:
    """Why a command was refused, and what would work."""
    spec = command.spec
    text = f"`{spec.name}` needs {decision.missing_permission_text}, which you do not have."
    if spec.self_service:
        text += f" You can still use `@{handle} {spec.name} me`."
    text += " Ask a maintainer to run it for you."
    return text


def unknown_text(unknown: Unknown, handle: str = DEFAULT_HANDLE) -> str:
    """An unknown command: its name, and the commands that exist."""
    names = ", ".join(f"`{s.name}`" for s in COMMANDS)
    what = f"I do not know the command {code(unknown.name)}" if unknown.name else f"no command after `@{handle}`"
    return f"{what}. Commands: {names}; `@{handle} help` explains them."


def malformed_text(malformed: Malformed, handle: str = DEFAULT_HANDLE) -> str:
    """A known command with bad arguments: what is wrong and the right syntax."""
    syntax = " or ".join(f"`@{handle} {s.strip()}`" for s in malformed.spec.syntax.split("|"))
    return f"{malformed.reason}. Write {syntax}."


def not_an_action_item_text(command: Command, handle: str = DEFAULT_HANDLE) -> str:
    """A command other than `track`/`help` on an ordinary issue."""
    return (
        f"this issue is not an action item, so `{command.name}` does not apply here. "
        f"Someone with write or triage access can make it one with `@{handle} track`."
    )


def permission_needed(commands: Iterable[Parsed]) -> bool:
    """Whether any command's rule depends on the sender's access (saves a request)."""
    return any(isinstance(c, Command) and c.spec.rule is not Rule.ANYONE for c in commands)


def issue_help() -> str:
    """The collapsed command list, generated from `COMMANDS` (the one table).

    Commands for ordinary issues (`track`) do not apply to an action item, so
    they are named after the list rather than offered as if they did.
    """
    rows = "\n".join(f"- {usages(spec)}: {spec.summary}" for spec in COMMANDS if not spec.any_issue)
    others = " ".join(f"{usages(spec)}: {spec.summary}" for spec in COMMANDS if spec.any_issue)
    return (
        "<details><summary>Commands</summary>\n\n"
        "Comment one of these at the start of a line:\n\n"
        f"{rows}\n\n"
        + (f"On an issue that is not an action item: {others}\n\n" if others else "")
        + "</details>"
    )
