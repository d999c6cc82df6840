"""Reading notes and planning in a worker process, with a time budget.

Notes come from anyone who can open a pull request, so the service must stay
responsive whatever they hold: parsing and planning are linear, but a 1 MB
file still takes seconds, and a rule that turns out slow on some input must
not freeze every other delivery and `/healthz` with it.

Why worker processes: a thread cannot be interrupted (a regex or the markdown
tokeniser runs to its end holding the interpreter), so a thread with a timeout
would only stop waiting, not stop the work. Two long-lived workers, started
from a `forkserver` that has already imported this package (no fork of the
threaded service itself), take jobs over a pipe: a job costs a pickle each way,
not a process start. A worker past the budget is killed and replaced on the
next job (a pool cannot do that: its busy worker cannot be cancelled, and
killing one breaks the pool). Each worker has a memory ceiling (MEMORY_LIMIT),
so a memory-hungry input fails alone. The event loop only waits, in a helper
thread, for a worker's answer.

A job past its budget (or its memory) raises `TooComplex`; callers turn it into
a problem in the check run ("notes too complex to read: line N"), never a stuck
service. The line is where the job had got to: a job calls `progress(line)` as
it reads, the worker keeps the last value in memory it shares with the service,
and the service reads it when it stops the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar, cast

T = TypeVar("T")

BUDGET_S = 10.0  # per job: a 1 MB file of the worst shapes known reads and plans in a few seconds
MEMORY_LIMIT = 2 << 30  # address space of a worker (bytes)
WORKERS = 2  # jobs of two repositories at once; a third waits for a free worker
_BUDGET_ENV = "ACTIONBOT_PARSE_BUDGET"

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["actionbot.engine.worker", "actionbot.notes.parse", "actionbot.core.plan"])


class TooComplex(Exception):
    """The job ran past its time budget or memory limit and was stopped (`line`: where it had got to)."""

    def __init__(self, what: str, budget: float, line: int | None = None) -> None:
        where = f" (at line {line})" if line else ""
        super().__init__(f"{what} took longer than {budget:g} s{where}")
        self.what = what
        self.budget = budget
        self.line = line


_REACHED: ctypes.c_longlong | None = None  # in a worker: the line its job has reached


def progress(line: int) -> None:
    """Called by a job as it reads: `line` is where it is (a no-op outside a worker)."""
    if _REACHED is not None:
        _REACHED.value = line


def budget_s() -> float:
    """The time budget of one job: ACTIONBOT_PARSE_BUDGET seconds when set, else BUDGET_S."""
    raw = os.environ.get(_BUDGET_ENV, "")
    try:
        value = float(raw) if raw else BUDGET_S
    except ValueError:
        return BUDGET_S
    return value if value > 0 else BUDGET_S


async def run_bounded(what: str, fn: Callable[..., T], *args: Any, budget: float | None = None) -> T:
    """`fn(*args)` in a worker process; TooComplex when it is not done within `budget` seconds.

    `fn` and the arguments travel by pickle: `fn` is a module-level function.
    An exception `fn` raises is raised here.
    """
    limit = budget_s() if budget is None else budget
    ok, value = await asyncio.to_thread(_call, fn, args, limit)
    if not ok:
        if isinstance(value, BaseException):
            raise value
        raise TooComplex(what, limit, value)
    return cast(T, value)


class _Worker:
    """One worker process and the pipe to it; restarted after it was killed or died."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one job at a time
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.reached: ctypes.c_longlong = _CONTEXT.RawValue(ctypes.c_longlong, 0)  # shared with the worker

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], limit: float) -> tuple[bool, Any]:
        """(True, result), (False, exception raised by the job), or (False, line reached or None):
        out of time or memory."""
        if self.proc is None or self.conn is None or not self.proc.is_alive():
            self.start()
        assert self.conn is not None
        self.reached.value = 0
        try:
            self.conn.send((fn, args))
            if self.conn.poll(limit):
                return cast(tuple[bool, Any], self.conn.recv())
        except (EOFError, OSError):
            pass  # the worker died (out of memory): as good as out of time
        self.stop()
        return False, self.reached.value or None

    def start(self) -> None:
        self.stop()
        mine, theirs = _CONTEXT.Pipe()
        self.proc = _CONTEXT.Process(
            target=_serve, args=(theirs, self.reached), daemon=True, name="actionbot-worker"
        )
        self.proc.start()
        theirs.close()
        self.conn = mine

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.join()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None


_WORKERS = [_Worker() for _ in range(WORKERS)]
_NEXT = itertools.count()


def _call(fn: Callable[..., Any], args: tuple[Any, ...], limit: float) -> tuple[bool, Any]:
    """In a helper thread: the job on an idle worker, else on the next one when it is free."""
    for worker in _WORKERS:
        if worker.lock.acquire(blocking=False):
            try:
                return worker.call(fn, args, limit)
            finally:
                worker.lock.release()
    worker = _WORKERS[next(_NEXT) % len(_WORKERS)]
    with worker.lock:
        return worker.call(fn, args, limit)


def _serve(conn: Connection, reached: ctypes.c_longlong) -> None:
    """The worker's loop: a job in, its outcome out, until the pipe closes."""
    global _REACHED
    _REACHED = reached
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already bounds it
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except MemoryError:
            os._exit(1)  # reported as too complex, like running out of time
        except Exception as exc:  # the caller re-raises it
            result = (False, exc)
        try:
            conn.send(result)
        except Exception as exc:  # an answer that does not pickle: say what it was
            conn.send((False, RuntimeError(f"the worker's answer could not be sent back: {exc!r}")))
