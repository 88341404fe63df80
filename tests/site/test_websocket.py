"""The deployment websocket: the owner gets every kept event then live ones, in order, once;
a reconnect with `after` (the last entry id seen) gets the rest; anyone else is refused; a
socket whose Redis goes away closes for the browser to reconnect. Real Redis streams, real
Channels routing and session authentication (the ASGI application bin/start serves).
"""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from contract.events import stream_key
from designer.events import publish_state
from designer.models import Deployment, Design, DesignVersion
from mvlab.asgi import application
from tests.live import run_coroutine
from tests.redis_server import RedisServer
from tests.site.conftest import example

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _communicator(
    deployment_id: str, cookie: bytes | None, after: str | None = None
) -> WebsocketCommunicator:
    path = f"/ws/deployments/{deployment_id}/" + (f"?after={after}" if after is not None else "")
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture
def deployment(owner, site_redis):
    design = Design.objects.create(owner=owner.user, name="two-vlans-routed")
    version = DesignVersion.objects.create(design=design, number=1, yaml=example("two-vlans-routed"), data={})
    made = Deployment.objects.create(design=design, version=version, sandbox=True)
    yield made
    site_redis.delete(stream_key(made.id))


def _probe(deployment_id: str, n: int) -> dict:
    return {
        "kind": "probe",
        "deployment": deployment_id,
        "host": "host1",
        "src": "d1",
        "dst": f"d{n}",
        "dst_ip": f"172.16.10.{n}",
        "expected": True,
        "observed": True,
        "rtt_ms": 0.1,
        "ttl": 64,
    }


def _add(site_redis, deployment_id: str, event: dict) -> str:
    return site_redis.xadd(stream_key(deployment_id), {"event": json.dumps(event)})


async def _receive(communicator: WebsocketCommunicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=5) for _ in range(count)]


def test_owner_gets_kept_events_then_live_ones_and_resumes_after_a_reconnect(owner, deployment, site_redis):
    cookie = _session_cookie(owner.user)
    publish_state(deployment.id, "deploying")
    _add(site_redis, deployment.id, _probe(deployment.id, 2))
    ids = [entry_id for entry_id, _ in site_redis.xrange(stream_key(deployment.id))]

    async def scenario():
        first = _communicator(deployment.id, cookie)
        assert (await first.connect())[0] is True
        kept = await _receive(first, 2)
        ids.append(_add(site_redis, deployment.id, _probe(deployment.id, 3)))
        live = await _receive(first, 1)
        await first.disconnect()
        ids.append(_add(site_redis, deployment.id, _probe(deployment.id, 4)))
        again = _communicator(deployment.id, cookie, after=kept[-1]["id"])
        assert (await again.connect())[0] is True
        rest = await _receive(again, 2)
        assert await again.receive_nothing(timeout=0.3)
        await again.disconnect()
        return kept, live, rest

    kept, live, rest = run_coroutine(scenario())
    assert kept[0] == {
        "id": ids[0],
        "event": {"kind": "deployment", "deployment": deployment.id, "state": "deploying", "detail": ""},
    }
    assert kept[1] == {"id": ids[1], "event": _probe(deployment.id, 2)}
    assert live == [{"id": ids[2], "event": _probe(deployment.id, 3)}]
    assert rest == [
        {"id": ids[2], "event": _probe(deployment.id, 3)},
        {"id": ids[3], "event": _probe(deployment.id, 4)},
    ]


def test_a_teardown_starts_the_retention_of_the_stream(deployment, site_redis, settings):
    settings.MVLAB_EVENTS_RETENTION = 600
    publish_state(deployment.id, "done")
    assert site_redis.ttl(stream_key(deployment.id)) == -1  # kept while the deployment may be watched
    publish_state(deployment.id, "torn_down")
    assert 590 <= site_redis.ttl(stream_key(deployment.id)) <= 600


def test_the_socket_closes_for_a_reconnect_when_redis_goes_away(owner, deployment, settings):
    """A websocket whose Redis read fails closes (4503, which the browser retries); it does not
    stay open and silent. Redis here is a server of the test's own, stopped for real."""
    server = RedisServer(persist=False)
    server.start()
    settings.REDIS_URL = server.url
    settings.MVLAB_EVENTS_READ_TIMEOUT_MS = 500
    cookie = _session_cookie(owner.user)

    async def scenario():
        socket = _communicator(deployment.id, cookie)
        assert (await socket.connect())[0] is True
        await asyncio.sleep(0.5)  # reading live events by now
        server.stop()
        return await socket.receive_output(timeout=15)

    try:
        closed = run_coroutine(scenario())
    finally:
        server.remove()
    assert closed == {"type": "websocket.close", "code": 4503}


def test_another_user_and_a_stranger_are_refused(other, deployment, site_redis):
    _add(site_redis, deployment.id, _probe(deployment.id, 2))

    async def connect(cookie):
        communicator = _communicator(deployment.id, cookie)
        answer = await communicator.connect()
        await communicator.disconnect()
        return answer

    assert run_coroutine(connect(_session_cookie(other.user))) == (False, 4403)
    assert run_coroutine(connect(None)) == (False, 4403)


def test_unknown_deployment_and_malformed_after_are_refused(owner, deployment):
    cookie = _session_cookie(owner.user)

    async def connect(deployment_id, after):
        communicator = _communicator(deployment_id, cookie, after)
        answer = await communicator.connect()
        await communicator.disconnect()
        return answer

    assert run_coroutine(connect("nosuchdeploy", None)) == (False, 4403)
    assert run_coroutine(connect(deployment.id, "-1")) == (False, 4400)
    assert run_coroutine(connect(deployment.id, "two")) == (False, 4400)
    assert run_coroutine(connect(deployment.id, "40")) == (False, 4400)  # a position, the old cursor
    assert run_coroutine(connect(deployment.id, "1-2-3")) == (False, 4400)
