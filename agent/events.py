"""Where an agent's events go: the deployment's Redis stream, or a list in this process.

The stream `mvlab:events:<deployment>` holds one entry per event (field `event`, the
event's JSON, signed by the agent that sent it: `agent.trust`), kept until the deployment's
teardown and retention (`designer.events`): the site's websocket consumer replays it from the
start and then follows it, so a browser that connects late or reconnects sees every event once,
in order. An XADD that finds Redis restarting is tried again (`RESTART_RETRY`), so a restart of
Redis does not fail the step that sent it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import redis
from pydantic import TypeAdapter
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from agent.plan import Event, FinishedEvent, ProbeEvent, StepEvent
from agent.trust import without_signature

STREAM_PREFIX = "mvlab:events:"
# A command that finds Redis down is tried again for up to about 11 s (jittered back-off, 6 s on
# average) before it fails: a restart of Redis costs a pause, not a failed deployment.
RESTART_RETRY = Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=14)
AnyEvent = StepEvent | ProbeEvent | FinishedEvent
Sink = Callable[[AnyEvent], None]
Signer = Callable[[dict], dict]  # an event's JSON fields -> the same with the agent's signature
_events = TypeAdapter(Event)


def stream_key(deployment: str) -> str:
    return f"{STREAM_PREFIX}{deployment}"


def parse_event(data: str | bytes | dict) -> AnyEvent:
    """An event from its JSON (or decoded JSON), validated against the contract; a signature beside
    its fields is left out (check it first with `agent.trust.verified_event` where it matters)."""
    return _events.validate_python(without_signature(data if isinstance(data, dict) else json.loads(data)))


class RedisEventSink:
    """Appends each event to the Redis stream of `deployment`, in the order it is given, signed by
    `sign` (an agent's) when given."""

    def __init__(
        self, redis_url: str, deployment: str, client: redis.Redis | None = None, sign: Signer | None = None
    ):
        self.deployment = deployment
        self.key = stream_key(deployment)
        self.client = client or redis.Redis.from_url(redis_url, retry=RESTART_RETRY)
        self.sign = sign

    def __call__(self, event: AnyEvent) -> None:
        if event.deployment != self.deployment:
            raise ValueError(
                f"event of deployment {event.deployment!r} sent to the stream of {self.deployment!r}"
            )
        data = event.model_dump(mode="json")
        self.client.xadd(self.key, {"event": json.dumps(self.sign(data) if self.sign else data)})


class ListEventSink:
    """Keeps events in memory, for the command line and tests; `echo` also sees each one."""

    def __init__(self, echo: Sink | None = None):
        self.events: list[AnyEvent] = []
        self.echo = echo

    def __call__(self, event: AnyEvent) -> None:
        self.events.append(event)
        if self.echo is not None:
            self.echo(event)


def follow_stream(
    client: redis.Redis, deployment: str, after: str = "0-0", block_ms: int = 1000
) -> Iterator[tuple[str, dict]]:
    """Every entry of the deployment's stream after entry id `after`, then new ones as they come.

    Yields (entry id, decoded JSON object); entries that are not agent events (the
    site's deployment-state entries) come through too. Yields ("", {}) whenever
    `block_ms` passes with nothing new, so the caller can check its own deadline.
    """
    key, last = stream_key(deployment), after
    while True:
        answer = client.xread({key: last}, block=block_ms, count=500)
        if not answer:
            yield "", {}
            continue
        for _stream, entries in answer:
            for entry_id, fields in entries:
                last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                raw = fields.get(b"event", fields.get("event"))
                yield last, json.loads(raw)
