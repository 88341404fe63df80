"""Emulated machines for real agent processes, and a Redis of the test's own that they all reach.

A machine is a `mvltest-` network namespace; an agent started in it (`agents_in`) also gets a
/run/netns of its own (a private tmpfs in a mount namespace of its own), as a second machine
would have: what one agent makes the others cannot see, and it all goes when the agent process
ends. Agents reach the test's Redis through a unix socket, which works across network
namespaces; the site side (the test process, `manage.py`) talks to the same Redis. That Redis
enforces ACLs: each agent joins as the site's `lab agent add` makes it (`join`), and logs in as its
own Redis user.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 30


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def redis_on_socket(directory: Path) -> Iterator[tuple[Path, redis.Redis]]:
    """A redis-server listening only on a unix socket in `directory`; (socket, client)."""
    sock = directory / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        for _ in range(100):
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        yield sock, client
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def machines(*names: str) -> Iterator[dict[str, str]]:
    """One empty `mvltest-` namespace per name: {name: namespace}, all removed at the end."""
    prefix = f"mvltest-{secrets.token_hex(3)}"
    made = {name: f"{prefix}-{number}" for number, name in enumerate(names, 1)}
    try:
        for ns in made.values():
            ip("netns", "add", ns)
        yield dict(made)  # a copy: what a caller takes out of it is still removed here
    finally:
        for ns in made.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@contextmanager
def wired_machines(*names: str) -> Iterator[dict[str, str]]:
    """`machines(*names)` whose `eth1`s meet on one bridge, as on a switch (in a namespace of its own)."""
    with machines("wire", *names) as made:
        wire = made.pop("wire")
        ip("-n", wire, "link", "add", "br0", "type", "bridge")
        ip("-n", wire, "link", "set", "br0", "up")
        for number, ns in enumerate(made.values()):
            ip("-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", f"p{number}", "netns", wire)
            ip("-n", wire, "link", "set", f"p{number}", "master", "br0", "up")
            ip("-n", ns, "link", "set", "eth1", "up")
        yield made


def join(name: str, sock: Path, site: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of agent `name` as `manage.py lab agent add NAME` of the site (run with the
    environment `site`, default `site_env(sock)`) gives it: its secret, and its own Redis user."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "agent.env"
        done = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "lab",
                "agent",
                "add",
                name,
                "--broker",
                f"redis+socket://{sock}",
                "--env-file",
                str(path),
            ],
            cwd=ROOT,
            env=site or site_env(sock),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(shlex.split(line)[0].split("=", 1) for line in path.read_text().splitlines())


def agent_env(joined: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **joined}


def site_env(sock: Path) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": f"unix://{sock}"}


@contextmanager
def agents_in(
    placed: dict[str, str], sock: Path, client: redis.Redis, *args: str, site: dict[str, str] | None = None
) -> Iterator[dict[str, int]]:
    """`python -m agent --name NAME ARGS` for each {NAME: namespace}, each in its machine and joined to
    the site whose environment is `site` (`join`); {NAME: pid} once every heartbeat is there. Stopped
    with SIGTERM at the end."""
    envs = {name: agent_env(join(name, sock, site)) for name in placed}
    processes = {
        name: subprocess.Popen(
            [
                "nsenter",
                f"--net=/run/netns/{ns}",
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                'mount -t tmpfs mvltest /run/netns && exec "$@"',
                "sh",
                sys.executable,
                "-m",
                "agent",
                "--name",
                name,
                *args,
            ],
            cwd=ROOT,
            env=envs[name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name, ns in placed.items()
    }
    try:
        deadline = time.monotonic() + STARTUP
        while not all(client.exists(f"mvlab:agent:{name}") for name in placed):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes.values()):
                pytest.fail(
                    "agents did not start: "
                    + " | ".join(
                        p.stdout.read().decode() if p.poll() is not None else "running"
                        for p in processes.values()
                    )
                )
            time.sleep(0.2)
        yield {name: p.pid for name, p in processes.items()}
    finally:
        stop_all(processes.values())


def stop_all(processes) -> None:
    """SIGTERM to every process at once, then SIGKILL to whichever is not gone within 20 s."""
    processes = list(processes)
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_agent(name: str, process: subprocess.Popen, client: redis.Redis) -> Iterator[subprocess.Popen]:
    """`process`, an agent named `name`, once its heartbeat is in `client`'s Redis; stopped when
    the `with` ends, also on failure (a test fails with its output when it does not start)."""
    try:
        deadline = time.monotonic() + STARTUP
        while not client.exists(f"mvlab:agent:{name}"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"agent did not start:\n{process.stdout.read().decode()}")
            time.sleep(0.2)
        yield process
    finally:
        stop_all([process])


@contextmanager
def readable_interpreter(command: list[str]) -> Iterator[list[str]]:
    """`command` run where every user can read this interpreter: when it sits under a directory others
    may not enter (this machine's pyenv under /root, 0700), in a private mount namespace whose tmpfs
    over that directory holds only the interpreter's tree (so a lab agent can give root up)."""
    prefix = Path(sys.base_prefix)
    closed = next((parent for parent in reversed(prefix.parents) if not parent.stat().st_mode & 0o001), None)
    if closed is None:
        yield command
        return
    with tempfile.TemporaryDirectory(prefix="mvltest-prefix-") as stage:
        script = (
            'mount --bind "$1" "$2" && mount -t tmpfs -o mode=0755 mvltest "$3" && mkdir -p "$1" '
            '&& mount --bind "$2" "$1" && shift 3 && exec "$@"'
        )
        yield [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            str(prefix),
            stage,
            str(closed),
            *command,
        ]


def namespaces_of(agent_pid: int) -> list[str]:
    """The /run/netns of an agent's own machine."""
    listing = subprocess.run(
        ["nsenter", "-t", str(agent_pid), "-m", "ls", "/run/netns"],
        check=True,
        capture_output=True,
        text=True,
    )
    return listing.stdout.split()
