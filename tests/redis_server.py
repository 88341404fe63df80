"""`RedisServer`: a redis-server of a test's own on a unix socket, to stop, restart or freeze.

Never the machine's Redis (127.0.0.1:6379), which other tests and people use. It persists the
way `bin/services` starts Redis (`PERSISTENCE`, an append-only file in its directory), so a
restart keeps every stream, as it does for the site.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]


def persistence_options() -> list[str]:
    """The persistence options `bin/services` gives redis-server (read from it, not copied)."""
    text = (ROOT / "bin" / "services").read_text()
    found = re.search(r"^persistence=\((.*)\)$", text, re.MULTILINE)
    if found is None:
        raise AssertionError("bin/services has no `persistence=(...)` line for redis-server")
    return shlex.split(found.group(1))


class RedisServer:
    def __init__(self, persist: bool = True):
        if shutil.which("redis-server") is None:
            raise AssertionError("redis-server is missing: install the Debian package redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="mvltest-redis-"))
        self.socket = self.dir / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.options = persistence_options() if persist else ["--save", "", "--appendonly", "no"]
        self.process: subprocess.Popen | None = None
        self.log = self.dir / "redis.log"

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.dir),
            "--logfile",
            str(self.log),
            *self.options,
        ]
        self.process = subprocess.Popen(args, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on {self.socket}:\n{self.log.read_text()}")

    def stop(self) -> None:
        """A clean stop (SIGTERM: what a service manager does), which writes what is persisted."""
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def pause(self) -> None:
        """Freezes the server (SIGSTOP): connections stay open and nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
