"""`actionbot ...` for tests: in this process through `main(argv)`, or as a process for the smoke tests.

Both give the exit code, stdout and stderr, and both run the command with only
the environment the test gives it: the variables actionbot reads
(`OWN_PREFIXES`, `OWN_NAMES`) are cleared first, as for a deployment that sets
nothing. In process, the command leaves the process as it found it: the
environment, the working directory, the root logger (the command may configure
it) and the secrets it registered with `actionbot.logs` are restored.

A command that runs its own event loop (`asyncio.run`) cannot run inside the
test's loop: an async test calls `arun`, which runs it in a thread while the
fake GitHub keeps serving on the test's loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actionbot import logs
from actionbot.__main__ import main

OWN_PREFIXES = ("GITHUB_", "ACTIONBOT_", "REDIS_", "SENTRY_")
OWN_NAMES = ("LOG_LEVEL", "PORT", "HOST")


@dataclass(frozen=True)
class Ran:
    """What a command run left: its exit code and what it wrote."""

    code: int
    out: str
    err: str

    def __iter__(self) -> Iterator[Any]:
        """`code, out, err = ran`."""
        return iter((self.code, self.out, self.err))


def _own(name: str) -> bool:
    return name.startswith(OWN_PREFIXES) or name in OWN_NAMES


class InProcessCLI:
    """`main(argv)` with its output captured (capsys) and the process state restored (monkeypatch)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def run(self, *argv: str, env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Ran:
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        with self.monkeypatch.context() as m:
            for name in [n for n in os.environ if _own(n)]:
                m.delenv(name)
            for name, value in (env or {}).items():
                m.setenv(name, value)
            if cwd is not None:
                m.chdir(cwd)
            # A secret registered stays registered for the process's life: give the command a copy.
            m.setattr(logs, "_known", set(logs._known))
            m.setattr(logs, "_rotating", deque(logs._rotating, maxlen=logs._rotating.maxlen))
            m.setattr(logs, "_values", logs._values)
            self.capsys.readouterr()  # what the test printed before is not the command's
            try:
                code = main(list(argv))
            finally:
                root.setLevel(level)
                for handler in [h for h in root.handlers if h not in handlers]:
                    root.removeHandler(handler)
            captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    async def arun(self, *argv: str, env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Ran:
        """`run` from an async test: in a thread, the test's loop (and the fake GitHub on it) free meanwhile."""
        return await asyncio.to_thread(self.run, *argv, env=env, cwd=cwd)


async def as_process(*argv: str, env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Ran:
    """`python -m actionbot ARGV` as a process (the smoke test of each command)."""
    full = {name: value for name, value in os.environ.items() if not _own(name)}
    full.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "actionbot", *argv, env=full, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())
