"""Text from outside our own templates, made safe to write where GitHub renders Markdown (pure).

Anything the bot copies into an issue body, a comment, a check run or the
dashboard from somewhere it does not control (a referenced issue's title, a
meeting title, an owner's name the configuration does not map, a line of the
notes, a problem message quoting one) goes through `neutralise`, so that the
bot never @-mentions anyone the notes' authors did not make an owner, never
pings a team, and never shows an image or HTML someone else chose:

- `<`, `>` and `&` become entities: no tag, no HTML comment, no `<img>`;
- `![` loses its meaning (`!\\[`): no Markdown image;
- every `@` that GitHub could read as the start of a mention (`@user`,
  `@org/team`, the second `@` of `@@user`) is followed by a zero-width space,
  which GitHub never reads as a mention. An `@` inside a word (an e-mail
  address) or right after a backtick (a handle already shown as code) is left
  alone.

Only owners resolved to logins are ever written as a mention, by the
renderer itself, never through this module.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
# An "@" that starts a mention: not inside a word, not right after a backtick,
# followed by what a login or an org begins with.
_MENTION_START = re.compile(r"(?<![A-Za-z0-9_`])@(?=[A-Za-z0-9])")


def no_mentions(text: str) -> str:
    """`text` with a zero-width space after every `@` that could mention someone."""
    return _MENTION_START.sub("@" + ZWSP, text)


def no_markup(text: str) -> str:
    """`text` with HTML and Markdown images made inert (shown as the characters typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("![", "!\\[")


def neutralise(text: str) -> str:
    """Text from outside our templates: no mention, no team mention, no image, no HTML."""
    return no_mentions(no_markup(text))


_BACKTICKS = re.compile(r"`+")


def code(text: str) -> str:
    """`text` on one line as inline code, whatever it holds: nothing in it renders or mentions.

    The fence is longer than any backtick run inside (a file name may hold
    backticks: a pull request picks its notes file's name), as CommonMark reads it.
    """
    flat = " ".join(text.split())
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def one_line(text: str | None) -> str:
    """`neutralise` on one line (whitespace runs, newlines included, become one space)."""
    return neutralise(" ".join((text or "").split()))
