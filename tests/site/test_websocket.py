"""The deployment websocket: the owner gets every kept event then live ones, in order, once;
a reconnect with `after` gets the rest; anyone else is refused. Real Redis streams, real
Channels routing and session authentication (the ASGI application bin/start serves).
"""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from designer.asgi import application
from designer.events import publish_state, stream_key
from designer.models import Deployment, Design, DesignVersion
from tests.live import run_coroutine
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


def _add(site_redis, deployment_id: str, event: dict) -> None:
    site_redis.xadd(stream_key(deployment_id), {"event": json.dumps(event)})


async def _receive(communicator: WebsocketCommunicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=5) for _ in range(count)]


def test_owner_gets_kept_events_then_live_ones_and_resumes_after_a_reconnect(owner, deployment, site_redis):
    cookie = _session_cookie(owner.user)
    publish_state(deployment.id, "deploying")
    _add(site_redis, deployment.id, _probe(deployment.id, 2))

    async def scenario():
        first = _communicator(deployment.id, cookie)
        assert (await first.connect())[0] is True
        kept = await _receive(first, 2)
        _add(site_redis, deployment.id, _probe(deployment.id, 3))
        live = await _receive(first, 1)
        await first.disconnect()
        _add(site_redis, deployment.id, _probe(deployment.id, 4))
        again = _communicator(deployment.id, cookie, after="2")
        assert (await again.connect())[0] is True
        rest = await _receive(again, 2)
        assert await again.receive_nothing(timeout=0.3)
        await again.disconnect()
        return kept, live, rest

    kept, live, rest = run_coroutine(scenario())
    assert kept[0] == {
        "seq": 1,
        "event": {"kind": "deployment", "deployment": deployment.id, "state": "deploying", "detail": ""},
    }
    assert kept[1] == {"seq": 2, "event": _probe(deployment.id, 2)}
    assert live == [{"seq": 3, "event": _probe(deployment.id, 3)}]
    assert rest == [
        {"seq": 3, "event": _probe(deployment.id, 3)},
        {"seq": 4, "event": _probe(deployment.id, 4)},
    ]


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
