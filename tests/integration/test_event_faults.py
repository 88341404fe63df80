"""Faults of the event streams, injected for real into a running stack (daphne, site worker, lab
agent) on a redis-server of this module's own (never the machine's Redis on 6379), persisting as
`bin/services` starts Redis, with the websocket read timeout scaled down to 1 s:

- Redis restarted mid-deploy while one watcher's websocket was closed mid-stream and another's
  stayed open: each, reconnecting with its cursor as the browser does, gets every event once;
  the deployment ends done, its stored matrix is what the probes saw, teardown works, and the
  torn-down stream expires after the retention. The site worker is started again if it ends, as
  compose does; whether it had to be is a test of its own.
- Idle deployment and class websockets stay open for a minute (150 of the scaled reads, as many
  as 5 minutes at the real timeout) with no error in the server's log.
- A Redis that stops answering closes the websockets with 4503, and after it is back a reconnect
  with the cursor gets nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import Coroutine
from pathlib import Path

import pytest
import requests
import websockets
from websockets.exceptions import ConnectionClosed

from designer import events
from tests import live
from tests.classroom import live_class
from tests.live import PYTHON, LiveStack, run_coroutine, sandbox_namespaces_of, start_stack, stop_stack
from tests.redis_server import RedisServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
READ_TIMEOUT_MS = 1000
RETENTION = 600
IDLE_SECONDS = 60
WORKER_GRACE = 5
TERMINAL = {"done", "failed", "torn_down"}
SERVER_ERRORS = ("Exception inside application", "Traceback")


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def stack(redis_server):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MVLAB_EVENTS_READ_TIMEOUT_MS", str(READ_TIMEOUT_MS))
        env.setenv("MVLAB_EVENTS_RETENTION", str(RETENTION))
        made = start_stack(redis_socket=redis_server.socket)
    try:
        _start_lab_agent(made)
        yield made
    finally:
        redis_server.resume()
        stop_stack(made)


def _start_lab_agent(stack: LiveStack) -> None:
    """The lab agent, logging in to Redis as the site does (--without-redis-user), so that the
    faults here are the event streams' alone: an agent's own Redis user, which a restart of Redis
    forgets until the site worker makes it again, is tests/integration/test_agent_users_heal.py's."""
    name, env_file = stack.lab_agent, stack.workdir / "lab-agent.env"
    stack.manage("lab", "agent", "add", name, "--env-file", str(env_file), "--without-redis-user")
    joined = dict(shlex.split(line)[0].split("=", 1) for line in env_file.read_text().splitlines())
    command = [PYTHON, "-m", "agent", "--name", name, "--sandbox"]
    live._start(stack, f"agent-{name}", command, {**stack.env, **joined})
    client = stack.redis()
    live._wait_for("the lab agent's heartbeat", lambda: client.exists(f"mvlab:agent:{name}"), stack)


@pytest.fixture(scope="module")
def alice(stack):
    return stack.user("alice")


class Watcher:
    """A deployment websocket client that reconnects with its cursor after any close, as the editor does."""

    def __init__(self, stack: LiveStack, session: requests.Session, deployment: str):
        self.url = f"{stack.ws_url}/ws/deployments/{deployment}/"
        self.headers = {"Cookie": stack.cookie_header(session)}
        self.origin = stack.origin
        self.cursor = "0"
        self.messages: list[dict] = []
        self.closes: list[int | None] = []

    def connect(self):
        return websockets.connect(
            f"{self.url}?after={self.cursor}", additional_headers=self.headers, origin=self.origin
        )

    def take(self, raw: str) -> dict:
        message = json.loads(raw)
        self.messages.append(message)
        self.cursor = message["id"]
        return message

    async def until(self, stop, within: float = 120) -> None:
        """Reads (reconnecting after each close) until `stop(message)` is true for a message, for
        `within` seconds at most."""
        deadline = time.monotonic() + within
        while True:
            try:
                async with self.connect() as socket:
                    while True:
                        left = deadline - time.monotonic()
                        if stop(self.take(await asyncio.wait_for(socket.recv(), timeout=left))):
                            return
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else None)
                await asyncio.sleep(0.5)


def _ended(message: dict) -> bool:
    return message["event"].get("kind") == "deployment" and message["event"]["state"] in TERMINAL


def _deploy(stack: LiveStack, session: requests.Session, design_id: int) -> str:
    started = session.post(f"{stack.url}/api/designs/{design_id}/deploy", json={"sandbox": True}, timeout=10)
    assert started.status_code == 201, started.text
    return started.json()["id"]


def _sandboxes(stack: LiveStack) -> list[str]:
    return sandbox_namespaces_of(stack.processes[f"agent-{stack.lab_agent}"].popen.pid)


def _supervise_site_worker(stack: LiveStack, stop: asyncio.Event) -> tuple[list[float], Coroutine]:
    """A watch that starts the site worker again whenever it ended (as compose's `restart:
    unless-stopped` does) until `stop`, and the list of when it found it dead (seconds in)."""
    began, deaths = time.monotonic(), []

    async def watch():
        current = "worker"
        while not stop.is_set():
            if stack.processes[current].popen.poll() is not None:
                deaths.append(round(time.monotonic() - began, 1))
                command, current = stack.processes[current].popen.args, f"worker-{len(deaths) + 1}"
                await asyncio.to_thread(live._start, stack, current, command)
            await asyncio.sleep(0.5)

    return deaths, watch()


@pytest.fixture(scope="module")
def restarted(stack, redis_server, alice):
    """A sandbox deploy during which Redis restarts: watcher `closed` closes its websocket
    mid-stream and reconnects after the restart; watcher `open` keeps its socket throughout."""
    yaml = (ROOT / "examples" / "two-vlans-routed.yaml").read_text()
    design = alice.post(f"{stack.url}/api/designs", json={"yaml": yaml}, timeout=10).json()["id"]
    deployment = _deploy(stack, alice, design)
    closed, kept_open = Watcher(stack, alice, deployment), Watcher(stack, alice, deployment)

    async def scenario():
        stop = asyncio.Event()
        deaths, supervise = _supervise_site_worker(stack, stop)
        supervisor = asyncio.create_task(supervise)
        watching = asyncio.create_task(kept_open.until(_ended))
        async with closed.connect() as socket:  # mid-stream: three events in, the socket goes away
            for _ in range(3):
                closed.take(await asyncio.wait_for(socket.recv(), timeout=60))
        state = alice.get(f"{stack.url}/api/deployments/{deployment}", timeout=10).json()["state"]
        await asyncio.to_thread(redis_server.restart, 0.5)
        await closed.until(_ended)
        await watching
        await asyncio.sleep(WORKER_GRACE)  # a worker that dies at the end of its task, dies by now
        stop.set()
        await supervisor
        return state, deaths

    try:
        state_at_restart, worker_deaths = run_coroutine(scenario())
    except TimeoutError:
        raise AssertionError(f"no end of deployment {deployment} on the websocket:\n{stack.logs()}") from None
    replay = Watcher(stack, alice, deployment)
    run_coroutine(replay.until(_ended))
    body = live_class.wait_state(stack, alice, deployment)
    return {
        "id": deployment,
        "design": design,
        "state_at_restart": state_at_restart,
        "body": body,
        "worker_deaths": worker_deaths,
        "closed": closed,
        "open": kept_open,
        "replay": replay,
    }


def test_restart_mid_deploy_loses_and_repeats_no_event_for_a_reconnecting_client(restarted):
    assert restarted["state_at_restart"] in ("pending", "deploying"), "Redis restarted after the deploy ended"
    everything = restarted["replay"].messages
    ids = [m["id"] for m in everything]
    assert ids == sorted(set(ids), key=events.id_order)
    assert restarted["closed"].messages == everything
    assert restarted["open"].messages == everything
    assert everything[0]["event"]["state"] == "pending" and everything[-1]["event"]["state"] == "done"


def test_the_site_worker_survives_a_restart_of_redis(restarted):
    """Celery 5.7.0's consumer, on losing the broker, collect()s the connection (which drops its
    transport) and then close()s it, whose channel restores the running acks_late task through
    that dropped transport: "Unrecoverable error: AttributeError: 'NoneType' object has no
    attribute 'hostname'", and the worker ends. Hence celery<5.7 (requirements/runtime.in)."""
    assert restarted["worker_deaths"] == [], (
        f"the site worker ended {restarted['worker_deaths']} s into the restart (and was started again)"
    )


def test_restart_mid_deploy_ends_done_with_the_matrix_the_probes_saw(stack, alice, restarted):
    body = restarted["body"]
    assert body["state"] == "done", body
    assert all(h["state"] == "done" and h["applied"] for h in body["hosts"].values()), body["hosts"]
    probes = [m["event"] for m in restarted["replay"].messages if m["event"]["kind"] == "probe"]
    seen = {(p["src"], p["dst_ip"]): p["observed"] for p in probes}
    stored = {(p["src"], p["dst_ip"]): p["observed"] for p in body["matrix"]["pairs"]}
    assert stored == seen
    assert all(p["observed"] == p["expected"] for p in body["matrix"]["pairs"])


@pytest.fixture(scope="module")
def classroom(stack):
    """A class whose student bob has deployed his attempt: the instructor's board follows its stream."""
    teacher = live_class.instructor(stack, "teacher")
    room = live_class.open_class(stack, teacher)
    bob = stack.user("bob")
    attempt = live_class.join(stack, bob, room)
    live_class.wait_state(stack, bob, _deploy(stack, bob, attempt["design"]))
    return {"url": f"{stack.ws_url}{room['websocket']}", "headers": {"Cookie": stack.cookie_header(teacher)}}


def _board(stack: LiveStack, classroom: dict):
    return websockets.connect(classroom["url"], additional_headers=classroom["headers"], origin=stack.origin)


def test_idle_websockets_stay_open_a_minute_with_no_error_logged(stack, alice, restarted, classroom):
    """150 reads of the scaled 1 s timeout, each an idle block the old client could not survive."""
    log = stack.processes["web"].log
    logged_before = len(log.read_text(errors="replace"))
    deployment = Watcher(stack, alice, restarted["id"])
    deployment.cursor = restarted["replay"].messages[-1]["id"]

    async def idle():
        async with deployment.connect() as quiet, _board(stack, classroom) as board:
            first = [json.loads(await asyncio.wait_for(board.recv(), timeout=10)) for _ in range(3)]
            heard: list[str] = []

            async def listen(socket):
                heard.append(await socket.recv())

            listeners = [asyncio.create_task(listen(s)) for s in (quiet, board)]
            done, _ = await asyncio.wait(listeners, timeout=IDLE_SECONDS)
            for task in listeners:
                task.cancel()
            latencies = [await asyncio.wait_for(await s.ping(), timeout=5) for s in (quiet, board)]
            teardown = alice.post(f"{stack.url}/api/deployments/{restarted['id']}/teardown", timeout=10)
            live = json.loads(await asyncio.wait_for(quiet.recv(), timeout=10))
            return first, [t.exception() for t in done], heard, latencies, teardown.status_code, live

    first, closed, heard, latencies, teardown, live = run_coroutine(idle())
    assert [m["kind"] for m in first] == ["board", "deploy", "goals"]
    assert closed == [] and heard == [], "an idle socket closed or spoke"
    assert len(latencies) == 2  # both still answer a ping
    assert teardown == 202 and live["event"]["state"] == "tearing_down"
    logged = log.read_text(errors="replace")[logged_before:]
    assert not [e for e in SERVER_ERRORS if e in logged], logged[-3000:]


def test_teardown_after_the_restart_leaves_nothing_and_starts_the_retention(
    stack, redis_server, alice, restarted
):
    body = live_class.wait_state(stack, alice, restarted["id"], states=("torn_down", "failed"))
    assert body["state"] == "torn_down", body
    assert not [n for n in _sandboxes(stack) if restarted["id"] in n]
    assert 0 < redis_server.client().ttl(events.stream_key(restarted["id"])) <= RETENTION


def test_a_frozen_redis_closes_the_websockets_for_a_reconnect_that_repeats_nothing(
    stack, redis_server, alice, restarted, classroom
):
    watcher = Watcher(stack, alice, restarted["id"])
    watcher.cursor = redis_server.client().xrevrange(events.stream_key(restarted["id"]), count=1)[0][0]

    async def closed_code(socket) -> int | None:
        try:
            await asyncio.wait_for(socket.recv(), timeout=60)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return -1  # it spoke

    async def scenario():
        async with watcher.connect() as socket, _board(stack, classroom) as board:
            for _ in range(3):  # the board, bob's deploy state and goals
                await asyncio.wait_for(board.recv(), timeout=10)
            redis_server.pause()
            try:
                started = time.monotonic()
                codes = await asyncio.gather(closed_code(socket), closed_code(board))
                waited = time.monotonic() - started
            finally:
                redis_server.resume()
        async with watcher.connect() as again:
            try:
                repeated = await asyncio.wait_for(again.recv(), timeout=2)
            except TimeoutError:
                repeated = None
        return codes, waited, repeated

    codes, waited, repeated = run_coroutine(scenario())
    assert codes == [4503, 4503], f"closed after {waited:.1f} s"
    assert repeated is None
