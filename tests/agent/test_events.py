"""Event sinks against the real local Redis."""

import secrets
import threading

import pytest
import redis

from agent.events import ListEventSink, RedisEventSink
from contract.events import FinishedEvent, ProbeEvent, StepEvent, follow_stream, parse_event, stream_key

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def deployment():
    name = "t" + secrets.token_hex(5)
    client = redis.Redis.from_url(REDIS_URL)
    yield name
    client.delete(stream_key(name))


def sample_events(deployment: str):
    return [
        StepEvent(deployment=deployment, host="h1", step="namespaces", status="started"),
        ProbeEvent(
            deployment=deployment,
            host="h1",
            src="d1",
            dst="d2",
            dst_ip="10.0.0.2",
            expected=True,
            observed=True,
            rtt_ms=0.05,
            ttl=64,
        ),
        FinishedEvent(deployment=deployment, host="h1", ok=True),
    ]


def test_redis_sink_appends_events_in_order_and_a_reader_replays_them(deployment):
    sink = RedisEventSink(REDIS_URL, deployment)
    events = sample_events(deployment)
    for event in events:
        sink(event)
    entries = redis.Redis.from_url(REDIS_URL).xrange(stream_key(deployment))
    assert [parse_event(fields[b"event"]) for _, fields in entries] == events


def test_follow_stream_replays_then_follows_live_events(deployment):
    sink = RedisEventSink(REDIS_URL, deployment)
    first, *later = sample_events(deployment)
    sink(first)
    late = threading.Timer(0.2, lambda: [sink(e) for e in later])
    late.start()
    seen = []
    for entry_id, event in follow_stream(redis.Redis.from_url(REDIS_URL), deployment, block_ms=100):
        if entry_id:
            seen.append(parse_event(event))
        if len(seen) == 3:
            break
    late.join()
    assert seen == [first, *later]


def test_redis_sink_refuses_an_event_of_another_deployment(deployment):
    sink = RedisEventSink(REDIS_URL, deployment)
    with pytest.raises(ValueError, match="other"):
        sink(FinishedEvent(deployment="other", host="h1", ok=True))


def test_list_sink_keeps_and_echoes():
    echoed = []
    sink = ListEventSink(echo=echoed.append)
    events = sample_events("d1")
    for event in events:
        sink(event)
    assert sink.events == events == echoed
