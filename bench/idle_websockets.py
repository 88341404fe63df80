"""Idle deployment and class websockets held open for the real span, at the real timeouts.

Starts the whole product (tests.live: daphne, the site worker, the lab agent), deploys the
two-VLAN example into a sandbox, has a student of a class deploy too, then holds `--sockets`
deployment websockets and as many class websockets (the instructor's board) open and silent for
`--minutes` (default 60). Prints, per kind, how many closed (with their close codes) and how many
"Exception inside application" / "Traceback" lines the server logged meanwhile. Each socket that
closes is opened again with its cursor, as the browser does, and counted. Asserts nothing.
Everything it deployed is torn down at the end, also on failure.

    .venv/bin/python bench/idle_websockets.py --minutes 60 --sockets 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import websockets
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.classroom import live_class  # noqa: E402
from tests.live import LiveStack, run_coroutine, start_stack, stop_stack  # noqa: E402


async def hold(url: str, headers: dict, origin: str, until: float, closes: Counter) -> None:
    """Keeps one websocket open until `until` (monotonic), reopening it with its cursor after a close."""
    cursor = None
    while time.monotonic() < until:
        address = f"{url}?after={cursor}" if cursor else url
        try:
            async with websockets.connect(address, additional_headers=headers, origin=origin) as socket:
                while True:
                    raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, until - time.monotonic()))
                    cursor = json.loads(raw).get("id", cursor)
        except ConnectionClosed as closed:
            closes[closed.rcvd.code if closed.rcvd else None] += 1
        except TimeoutError:
            return


def setup(stack: LiveStack) -> tuple[str, dict, dict, dict]:
    """A finished sandbox deployment of alice's, and a class whose student has deployed."""
    alice = stack.user("alice")
    yaml = (ROOT / "examples" / "two-vlans-routed.yaml").read_text()
    design = alice.post(f"{stack.url}/api/designs", json={"yaml": yaml}, timeout=10).json()["id"]
    deployment = alice.post(
        f"{stack.url}/api/designs/{design}/deploy", json={"sandbox": True}, timeout=10
    ).json()
    live_class.wait_state(stack, alice, deployment["id"])
    teacher = live_class.instructor(stack, "teacher")
    room = live_class.open_class(stack, teacher)
    bob = stack.user("bob")
    attempt = live_class.join(stack, bob, room)
    started = bob.post(
        f"{stack.url}/api/designs/{attempt['design']}/deploy", json={"sandbox": True}, timeout=10
    )
    live_class.wait_state(stack, bob, started.json()["id"])
    return (
        f"{stack.ws_url}{deployment['websocket']}",
        {"Cookie": stack.cookie_header(alice)},
        {"url": f"{stack.ws_url}{room['websocket']}", "headers": {"Cookie": stack.cookie_header(teacher)}},
        {"alice": (alice, deployment["id"]), "bob": (bob, started.json()["id"])},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--sockets", type=int, default=5, help="of each kind")
    args = parser.parse_args()
    stack = start_stack()
    deployed = {}
    try:
        deployment_url, alice_headers, board, deployed = setup(stack)
        log = stack.processes["web"].log
        logged_before = len(log.read_text(errors="replace"))
        until = time.monotonic() + args.minutes * 60
        closes = {"deployment": Counter(), "class": Counter()}

        async def everything():
            await asyncio.gather(
                *[
                    hold(deployment_url, alice_headers, stack.origin, until, closes["deployment"])
                    for _ in range(args.sockets)
                ],
                *[
                    hold(board["url"], board["headers"], stack.origin, until, closes["class"])
                    for _ in range(args.sockets)
                ],
            )

        began = time.monotonic()
        run_coroutine(everything())
        logged = log.read_text(errors="replace")[logged_before:]
        print(
            f"held {args.sockets} deployment and {args.sockets} class websockets for "
            f"{(time.monotonic() - began) / 60:.1f} min"
        )
        for kind, counted in closes.items():
            print(f"  {kind}: {sum(counted.values())} closes {dict(counted)}")
        print(
            f"  server log: {logged.count('Exception inside application')} 'Exception inside application', "
            f"{logged.count('Traceback')} tracebacks"
        )
    finally:
        for session, deployment in deployed.values():
            session.post(f"{stack.url}/api/deployments/{deployment}/teardown", timeout=10)
            live_class.wait_state(stack, session, deployment, states=("torn_down", "failed"))
        stop_stack(stack)


if __name__ == "__main__":
    main()
