"""Accepted deliveries on disk, so that a crash of the one process loses none of them.

GitHub redelivers nothing by itself, least of all a delivery we answered 202:
in one-process mode a `kill -9`, an out-of-memory kill or a crash would lose
every accepted delivery still queued. So, with `ACTIONBOT_STATE_DIR` set, the
service records each delivery id here before it answers 202 (one empty file
per id, the directory fsynced) and removes it when the delivery's work has
ended (succeeded or failed after its retries: a failure is logged and shown,
not lost), the follow-up jobs its handler queued included (a new
installation's first sync, the reply to a `sync` command: nothing else would
ever redo a lost reply). Whatever is left at start-up was cut off: the start-up redelivery
pass asks GitHub to send those deliveries again, the same way it resends
failed ones, and each one is processed when it arrives.

One file per id keeps it simple: no format to parse, no compaction, a crash
mid-write leaves either the file or nothing. A lock file keeps two processes
from sharing a directory (each would redeliver the other's work); the kernel
drops the lock when its process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from actionbot.core.ages import Clock
from actionbot.logs import kv
from actionbot.notes.model import InputError

log = logging.getLogger("actionbot.service.journal")

KEEP_SECONDS = 72 * 3600  # GitHub's redelivery window: an older id can not be sent again
_PLAIN = re.compile(r"[0-9A-Fa-f-]{1,64}")  # GitHub's delivery ids are UUIDs: their own file names


class JournalError(InputError):
    """The state directory can not be used (not writable, or another process holds it)."""

    def __init__(self, message: str):
        super().__init__("ACTIONBOT_STATE_DIR", message)


def file_name(delivery_id: str) -> str:
    """A delivery id as a file name: itself when it is a UUID, else `x` and its hex (never a path)."""
    return delivery_id if _PLAIN.fullmatch(delivery_id) else "x" + delivery_id.encode().hex()


def delivery_id(name: str) -> str:
    return bytes.fromhex(name[1:]).decode(errors="replace") if name.startswith("x") else name


class Journal:
    """`record` before the 202, `done` when the work ended, `unfinished` at start-up."""

    def __init__(self, directory: Path, *, clock: Clock = time.time):
        self.directory = directory
        self.clock = clock
        self._dir_fd = -1
        self._lock_fd = -1

    @classmethod
    def open(cls, directory: str | Path, *, clock: Clock = time.time) -> Journal:
        """Create `directory/accepted` (mode 0700) and take the directory's lock; JournalError otherwise."""
        journal = cls(Path(directory) / "accepted", clock=clock)
        try:
            journal.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            journal._lock_fd = os.open(Path(directory) / "lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(journal._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            journal._dir_fd = os.open(journal.directory, os.O_RDONLY | os.O_DIRECTORY)
        except BlockingIOError:
            journal.close()
            raise JournalError(f"{directory} is in use by another running actionbot; give each process its own") from None
        except OSError as exc:
            journal.close()
            raise JournalError(f"{directory} can not be used: {exc.strerror or exc}") from None
        return journal

    def record(self, delivery_id: str) -> None:
        """Make `delivery_id` survive a crash (raises OSError when the disk refuses: answer 503 then)."""
        fd = os.open(self.directory / file_name(delivery_id), os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        os.fsync(self._dir_fd)  # the name is the record: it is durable once the directory is

    def done(self, delivery_ids: Iterable[str]) -> None:
        """Forget ids whose work ended. Not synced: a crash right now at worst sends one again."""
        for d in delivery_ids:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / file_name(d))

    def unfinished(self) -> list[str]:
        """Ids recorded and never done, oldest first; ids past GitHub's window are dropped (logged)."""
        now = self.clock()
        found: list[tuple[float, str]] = []
        for entry in os.scandir(self.directory):
            mtime = entry.stat().st_mtime
            if now - mtime > KEEP_SECONDS:
                log.error("accepted delivery too old to redeliver, dropped %s", kv(delivery=delivery_id(entry.name)))
                os.unlink(entry.path)
                continue
            found.append((mtime, delivery_id(entry.name)))
        return [d for _, d in sorted(found)]

    def close(self) -> None:
        for fd in (self._dir_fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._dir_fd = self._lock_fd = -1
