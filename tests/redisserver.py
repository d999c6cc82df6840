"""A real redis-server for one test: Debian's package, a free loopback port, a temporary folder.

Found (or installed) by tests/sysserver.py, as test_replicas.py's nginx is.
Never a shared instance: each test starts its own and the fixture stops it. The append-only
file is on and written at every command, so a stop and start (a restart
under load) keeps what was queued, as a managed Redis does.
"""

from __future__ import annotations

import gc
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sysserver import find_binary, free_port

__all__ = ["RedisServer", "find_redis", "free_port", "redis_server"]


def find_redis() -> str:
    return find_binary("redis-server", "redis-server", also=("/usr/bin/redis-server",))


class RedisServer:
    def __init__(self, binary: str, folder: Path):
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-1000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis-server writes its append-only file and exits
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(find_redis(), folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # Clients of this server left for the collector (a worker's connections after an outage) are
        # finalised now: Python 3.11.7 and older fail an ast.parse that a collection interrupts with
        # such finalisers ("AST constructor recursion depth mismatch", fixed in 3.11.8).
        gc.collect()
