"""System servers the tests start themselves (redis-server, nginx): the binary, and a free loopback port.

A binary missing from the machine is installed with apt-get when the tests
run as root (as on CI); otherwise the test is skipped saying why. The suite
runs in two processes (pytest-xdist), so an install holds a file lock: the
second process waits for the first and then finds the binary.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest


def find_binary(name: str, package: str, *, also: tuple[str, ...] = ()) -> str:
    """`name` from PATH or one of the paths `also`; installed from Debian's `package` when allowed; else skip."""

    def look() -> str | None:
        return shutil.which(name) or next((p for p in also if os.access(p, os.X_OK)), None)

    found = look()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{name} is not installed, and installing it needs root and apt-get (apt-get install {package})")
    with (Path(tempfile.gettempdir()) / "actionbot-tests-apt.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return look() or _install(name, package, look)


def _install(name: str, package: str, look: Callable[[], str | None]) -> str:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"apt-get install {package} failed: {done.stderr.strip().splitlines()[-1:]}")
    found = look()
    if not found:
        pytest.skip(f"{package} installed but no {name} binary found")
    return found


def free_port() -> int:
    """A loopback port nobody listens on now (the server about to start takes it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
