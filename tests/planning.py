"""Notes, items and a config shared by the planner tests (test_plan, test_desired).

The seed is a small meeting file's worth of items: assigned, tentative, nested,
done and not opening issues, so each planning rule has something to act on.
"""

from __future__ import annotations

from typing import Any

from actionbot.core.config import Config
from actionbot.core.desired import NotesContext
from actionbot.notes.model import Item, Meeting, Notes

PATH = "docs/meetings/2018-01-04.md"
JAN = Meeting("January 2018", "2018-01-04", 1)
CONFIG = Config(people={"Ravi": "ravi-k", "Bruno": "bruno-dev", "Lucie": "lucie-m", "Ana M": "anamartins"})


def item(text: str, line: int, *owners: str, tentative: tuple[str, ...] = (), **kw: Any) -> Item:
    kw.setdefault("meeting", 0)
    kw.setdefault("opens_issue", not kw.get("done", False))
    return Item(text=text, line=line, owners=owners, tentative_owners=tentative, **kw)


def notes(*items: Item, path: str = PATH, meetings: tuple[Meeting, ...] = (JAN,)) -> Notes:
    return Notes(path=path, meetings=meetings, items=items)


SEED = (
    item("Please add your name to the contributor catalog", 10),
    item("List candidate tutorials and draft outlines", 11, opens_issue=False),
    item("Widget gallery redesign (Ravi)", 12, "Ravi", parent=1),
    item("WidgetConf Lisbon (Tiago, Lucie?)", 13, "Tiago", "Lucie", tentative=("Lucie",), parent=1),
    item("WidgetConf talk proposals (Bruno/Ines)", 14, "Bruno", "Ines", parent=1, refs=("example-org/widgetlab#379",)),
    item("Follow up on Lukas' proposal to list the shared accounts", 15),
    item("Mailing list", 16, parent=5, opens_issue=False),
    item("Domain registrar", 17, parent=5, opens_issue=False, done=True),
)


def ctx(path: str = PATH, sha: str = "c1") -> NotesContext:
    return NotesContext("org/notes", "https://github.com/org/notes", sha, path)
