"""`live_stack`: the real mvlab running as subprocesses, for integration and browser tests.

    from tests.live import live_stack  # noqa: F401  (re-export the fixture in your conftest)

    def test_something(live_stack):
        alice = live_stack.user("alice")            # a signed-in requests.Session (CSRF header set)
        alice.post(live_stack.url + "/api/designs", json={...})
        live_stack.ws_url + "/ws/deployments/<id>/"  # for a websocket client (send live_stack.origin)

What runs (started once per test session, stopped at its end, also on failure):
- daphne serving mvlab.asgi on a free port of 127.0.0.1 (HTTP, websockets, frontend/dist),
- a Celery worker for the site's tasks (queue `site`),
- a lab agent `python -m agent --name lab-<random> --sandbox` on its own queue (rootless: its
  sandboxes are in its helper's namespaces, `lab_namespaces`, never in the machine's), joined to
  the site as `manage.py lab agent add` makes it (`agent_env`: its secret; a Redis user of its own
  unless the Redis is the machine's shared one, whose ACLs no test may change),
all on a temporary SQLite database and a Redis database number nobody else uses (picked
empty among 1..13 of 127.0.0.1:6379, flushed when the session ends). Each process writes
its log to `<tmp>/<name>.log`; a process that does not come up fails the fixture with the
end of its log. Processes run in their own process groups and are stopped by group id.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
REDIS_HOST = "redis://127.0.0.1:6379"
START_TIMEOUT = 60.0
T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs `coroutine` to its end on a fresh event loop in its own thread.

    (asyncio.run refuses to start where a loop already runs, e.g. in a session that also
    drives Playwright's sync API; a separate thread always has none.)
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _claim_redis_db() -> int:
    """An empty Redis database number, marked as taken so a parallel run picks another."""
    for number in secrets.SystemRandom().sample(range(1, 14), 13):
        client = redis.Redis.from_url(f"{REDIS_HOST}/{number}")
        if client.set("mvltest:live-stack", str(os.getpid()), nx=True) and client.dbsize() == 1:
            return number
    raise RuntimeError("no empty Redis database among 1..13 for the live stack")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    stopped: bool = False  # by a test, on purpose: its end is no failure of the stack

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def pause(self) -> None:
        """Freezes the process group (SIGSTOP): to the site, an agent that died; `resume` thaws it."""
        os.killpg(self.popen.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.popen.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.stopped = True
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)


@dataclass
class LiveStack:
    url: str
    ws_url: str
    origin: str
    redis_url: str
    lab_agent: str
    env: dict[str, str]
    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    def manage(self, *args: str) -> str:
        """Runs `manage.py ARGS` against the stack's database; answers its stdout."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def create_user(self, username: str, password: str | None = None) -> str:
        password = password or secrets.token_urlsafe(12)
        code = (
            "from django.contrib.auth import get_user_model as g; import sys; "
            "g().objects.create_user(username=sys.argv[1], password=sys.argv[2])"
        )
        self.manage("shell", "-c", f"import sys; sys.argv=['', {username!r}, {password!r}]; {code}")
        return password

    def sign_in(self, username: str, password: str) -> requests.Session:
        """A session signed in through POST /api/session, sending X-CSRFToken on every request."""
        session = requests.Session()
        token = session.get(f"{self.url}/api/session", timeout=10).json()["csrf_token"]
        session.headers.update({"X-CSRFToken": token, "Referer": self.url + "/"})
        answer = session.post(
            f"{self.url}/api/session", json={"username": username, "password": password}, timeout=10
        )
        answer.raise_for_status()
        session.headers["X-CSRFToken"] = answer.json()["csrf_token"]
        return session

    def user(self, username: str) -> requests.Session:
        """A new user, signed in."""
        return self.sign_in(username, self.create_user(username))

    def cookie_header(self, session: requests.Session) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in session.cookies)

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, decode_responses=True)

    def agent_env(self, name: str) -> dict[str, str]:
        """The environment of agent `name` once the site let it join (`lab agent add`)."""
        path = self.workdir / f"agent-{name}.env"
        shared = ["--without-redis-user"] if self.redis_url.startswith(REDIS_HOST) else []
        self.manage("lab", "agent", "add", name, "--env-file", str(path), *shared)
        joined = dict(shlex.split(line)[0].split("=", 1) for line in path.read_text().splitlines())
        return {**self.env, **joined}

    def start_agent(self, name: str) -> Process:
        """Another sandbox agent `name` on the stack's broker, alive once its heartbeat is there."""
        process = _start(
            self, f"agent-{name}", [PYTHON, "-m", "agent", "--name", name, "--sandbox"], self.agent_env(name)
        )
        client = self.redis()
        _wait_for(f"the heartbeat of agent {name}", lambda: client.exists(f"mvlab:agent:{name}"), self)
        return process

    def lab_namespaces(self, prefix: str = "") -> list[str]:
        """The namespaces the stack's lab agent holds (in its rootless helper), starting with `prefix`."""
        held = sandbox_namespaces_of(self.processes["agent"].popen.pid)
        return [name for name in held if name.startswith(prefix)]

    def logs(self) -> str:
        return "\n\n".join(f"== {p.name}\n{p.tail()}" for p in self.processes.values())


def rootless_helper_of(agent_pid: int) -> int:
    """The pid of a lab agent's rootless helper: its child in a user namespace of its own."""
    own = os.readlink(f"/proc/{agent_pid}/ns/user")
    children = Path(f"/proc/{agent_pid}/task/{agent_pid}/children").read_text().split()
    [helper] = [int(pid) for pid in children if os.readlink(f"/proc/{pid}/ns/user") != own]
    return helper


def sandbox_namespaces_of(agent_pid: int) -> list[str]:
    """The /run/netns of a lab agent's rootless helper, where its sandboxes are (and nowhere else)."""
    return sorted(os.listdir(f"/proc/{rootless_helper_of(agent_pid)}/root/run/netns"))


def _start(stack: LiveStack, name: str, args: list[str], env: dict[str, str] | None = None) -> Process:
    log = stack.workdir / f"{name}.log"
    handle = log.open("w")
    popen = subprocess.Popen(
        args, cwd=ROOT, env=env or stack.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    handle.close()
    stack.processes[name] = Process(name, popen, log)
    return stack.processes[name]


def _wait_for(what: str, ready, stack: LiveStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        dead = [p for p in stack.processes.values() if not p.stopped and p.popen.poll() is not None]
        if dead:
            raise RuntimeError(f"{dead[0].name} ended while waiting for {what}:\n{dead[0].tail()}")
        try:
            if ready():
                return
        except (requests.RequestException, redis.RedisError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the live stack did not get {what} within {START_TIMEOUT:.0f} s:\n{stack.logs()}")


def start_stack(redis_socket: Path | None = None) -> LiveStack:
    """The stack on a Redis database of its own, with a lab agent; or, given `redis_socket`, on the
    Redis listening there (one emulated machines' agents reach, tests/agent/machines.py) and with no
    agent of its own."""
    workdir = Path(tempfile.mkdtemp(prefix="mvltest-stack-"))
    redis_url = f"unix://{redis_socket}" if redis_socket else f"{REDIS_HOST}/{_claim_redis_db()}"
    port = _free_port()
    lab = f"lab-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mvlab.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": redis_url,  # the site's one Redis; each agent's MVLAB_BROKER_URL is from `lab agent add`
        "MVLAB_LAB_AGENT": lab,
        "MVLAB_DEPLOY_TIMEOUT": "120",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    }
    url = f"http://127.0.0.1:{port}"
    stack = LiveStack(url, f"ws://127.0.0.1:{port}", url, redis_url, lab, env, workdir)
    try:
        _launch(stack, port, with_lab_agent=redis_socket is None)
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def _launch(stack: LiveStack, port: int, with_lab_agent: bool) -> None:
    lab, url = stack.lab_agent, stack.url
    stack.manage("migrate", "--noinput")
    _start(stack, "web", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "mvlab.asgi:application"])
    _start(
        stack,
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "mvlab.celery",
            "worker",
            "-Q",
            "site",
            "-n",
            f"site-{lab}@%h",
            "-c",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
    )
    _wait_for("HTTP answers", lambda: requests.get(f"{url}/api/session", timeout=2).ok, stack)
    if with_lab_agent:
        _start(stack, "agent", [PYTHON, "-m", "agent", "--name", lab, "--sandbox"], stack.agent_env(lab))
        client = stack.redis()
        _wait_for("the lab agent's heartbeat", lambda: client.exists(f"mvlab:agent:{lab}"), stack)
    _wait_for("the site worker", lambda: "ready." in stack.processes["worker"].log.read_text(), stack)


def stop_stack(stack: LiveStack) -> None:
    for process in reversed(list(stack.processes.values())):
        process.stop()
    stack.redis().flushdb()
    shutil.rmtree(stack.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def live_stack():
    stack = start_stack()
    try:
        yield stack
    finally:
        stop_stack(stack)
