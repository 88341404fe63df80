"""The class websocket: the instructor sees every student live; a student only themself; others nobody.

Real Channels routing with session sign-in, the real Redis channel layer and event streams.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from contract.events import stream_key
from designer.api.openapi import ClassMessage
from designer.events import publish_state
from designer.models import Deployment, DesignVersion
from mvlab.asgi import application
from tests.classroom.conftest import join
from tests.redis_server import RedisServer
from tests.signed_events import signed
from tests.site.conftest import _signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _socket(path: str, cookie: bytes) -> WebsocketCommunicator:
    """A websocket with a session cookie (made by `_cookie` before the event loop runs)."""
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    return WebsocketCommunicator(application, path, headers=headers)


def _probe(dep: str, src: str, dst: str, ip: str, observed: bool, ttl: int | None) -> dict:
    return {
        "kind": "probe",
        "deployment": dep,
        "host": "host1",
        "src": src,
        "dst": dst,
        "dst_ip": ip,
        "expected": True,
        "observed": observed,
        "rtt_ms": 0.2 if observed else None,
        "ttl": ttl,
    }


def _start_deployment(design_id: int) -> str:
    """What the deploy API records for a sandbox deploy (the site worker is not running here)."""
    version = DesignVersion.objects.filter(design_id=design_id).order_by("-number").first()
    hosts = {h: {"agent": "lab", "state": "pending"} for h in ("host1", "host2", "host3")}
    return Deployment.objects.create(design_id=design_id, version=version, sandbox=True, hosts=hosts).id


def _documented(message: dict) -> bool:
    """The message is, field for field, the OpenAPI's `ClassMessage` (classroom.messages), which the
    class page's type is generated from."""
    return ClassMessage.model_validate(message).model_dump() == message


async def _until(socket: WebsocketCommunicator, kind: str, **match) -> dict:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["kind"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message


@pytest.fixture
def clean_redis(site_redis):
    made: list[str] = []
    yield made
    site_redis.delete("site", *[stream_key(d) for d in made])


def test_instructor_sees_all_live_students_see_only_themselves(
    instructor, alice, bob, room, site_redis, clean_redis, django_user_model
):
    a = join(alice, room)[0]
    b = join(bob, room)[0]
    path = f"/ws/classes/{room['id']}/"
    cookies = [_cookie(u) for u in (instructor.user, alice.user, bob.user)]
    dave = _signed_in(django_user_model, "dave")

    async def scenario():
        teacher, mine, theirs = (_socket(path, c) for c in cookies)
        for socket in (teacher, mine, theirs):
            assert (await socket.connect())[0] is True
        boards = [await s.receive_json_from(timeout=5) for s in (teacher, mine, theirs)]

        dep = await sync_to_async(_start_deployment)(a["design"])
        clean_redis.append(dep)
        await sync_to_async(publish_state)(dep, "deploying")
        site_redis.xadd(stream_key(dep), {"event": signed(_probe(dep, "d1", "d4", "172.16.20.11", True, 63))})
        seen = {}
        for name, socket in (("teacher", teacher), ("alice", mine)):
            state = await _until(socket, "deploy", attempt=a["attempt"], state="deploying")
            goals = await _until(socket, "goals", attempt=a["attempt"])
            seen[name] = (state["deployment"], goals["goals"])
        bob_heard = await theirs.receive_nothing(timeout=1)

        await sync_to_async(join)(dave, room)
        joined = await _until(teacher, "attempt")
        alice_heard = await mine.receive_nothing(timeout=1)
        for socket in (teacher, mine, theirs):
            await socket.disconnect()
        return boards, dep, seen, bob_heard, joined, alice_heard

    boards, dep, seen, bob_heard, joined, alice_heard = asyncio.run(scenario())
    assert [r["student"] for r in boards[0]["rows"]] == ["alice", "bob"] and boards[0]["role"] == "instructor"
    assert [r["student"] for r in boards[1]["rows"]] == ["alice"]
    assert [r["student"] for r in boards[2]["rows"]] == ["bob"] and boards[2]["rows"][0]["attempt"] == b[
        "attempt"
    ]
    for name in ("teacher", "alice"):
        deployment, goals = seen[name]
        assert deployment == dep
        first = goals["items"][0]
        assert first == {
            "goal": "d1 reaches d4 with TTL 63",
            "status": "passed",
            "message": "d1 reaches d4 (172.16.20.11) through one router (TTL 63): passed",
        }
        assert (goals["passed"], goals["pending"], goals["total"]) == (1, 2, 3)
    assert bob_heard, "bob heard about alice's deployment"
    assert joined["row"]["student"] == "dave"
    assert all(_documented(m) for m in [*boards, joined])
    assert alice_heard, "alice heard about dave joining"


def test_strangers_and_other_students_are_refused(instructor, alice, bob, room, clean_redis):
    a = join(alice, room)[0]
    dep = _start_deployment(a["design"])
    clean_redis.append(dep)

    async def connect(path, cookie):
        socket = _socket(path, cookie)
        answer = await socket.connect()
        await socket.disconnect()
        return answer

    not_joined = asyncio.run(connect(f"/ws/classes/{room['id']}/", _cookie(bob.user)))
    assert not_joined == (False, 4403)
    join(bob, room)
    assert asyncio.run(connect(f"/ws/deployments/{dep}/", _cookie(bob.user))) == (False, 4403)
    assert asyncio.run(connect(f"/ws/deployments/{dep}/", _cookie(alice.user)))[0] is True
    assert asyncio.run(connect(f"/ws/classes/{room['id'] + 1000}/", _cookie(instructor.user))) == (
        False,
        4403,
    )


def test_a_late_connection_gets_one_summary_of_what_already_happened(alice, room, site_redis, clean_redis):
    a = join(alice, room)[0]
    dep = _start_deployment(a["design"])
    clean_redis.append(dep)
    publish_state(dep, "probing")
    for event in (
        _probe(dep, "d1", "d4", "172.16.20.11", True, 63),
        _probe(dep, "d2", "d3", "172.16.10.2", False, None),
        _probe(dep, "d1", "d3", "172.16.10.2", True, 64),
    ):
        site_redis.xadd(stream_key(dep), {"event": signed(event)})
    cookie = _cookie(alice.user)

    async def scenario():
        socket = _socket(f"/ws/classes/{room['id']}/", cookie)
        assert (await socket.connect())[0] is True
        messages = [await socket.receive_json_from(timeout=5) for _ in range(3)]
        quiet = await socket.receive_nothing(timeout=1)
        await socket.disconnect()
        return messages, quiet

    (board, state, goals), quiet = asyncio.run(scenario())
    assert board["kind"] == "board" and board["rows"][0]["deployment"]["id"] == dep
    assert board["rows"][0]["goals"]["passed"] == 2
    assert (state["kind"], state["state"]) == ("deploy", "probing")
    assert goals["kind"] == "goals"
    assert [i["status"] for i in goals["goals"]["items"]] == ["passed", "failed", "passed"]
    assert quiet, "the kept events were replayed one by one"
    assert all(_documented(m) for m in (board, state, goals))


def test_the_class_socket_closes_for_a_reconnect_when_redis_goes_away(alice, room, site_redis, settings):
    """A deployment's stream that cannot be read closes the class socket (4503, which the page
    retries) instead of freezing its board. Redis here is a server of the test's own, stopped."""
    a = join(alice, room)[0]
    dep = _start_deployment(a["design"])
    server = RedisServer(persist=False)
    server.start()
    settings.REDIS_URL = server.url
    settings.MVLAB_EVENTS_READ_TIMEOUT_MS = 500
    cookie = _cookie(alice.user)

    async def scenario():
        socket = _socket(f"/ws/classes/{room['id']}/", cookie)
        assert (await socket.connect())[0] is True
        board = await socket.receive_json_from(timeout=5)
        await asyncio.sleep(0.5)  # following the deployment's stream by now
        server.stop()
        return board, await socket.receive_output(timeout=15)

    try:
        board, closed = asyncio.run(scenario())
    finally:
        server.remove()
    assert board["rows"][0]["deployment"]["id"] == dep
    assert closed == {"type": "websocket.close", "code": 4503}
