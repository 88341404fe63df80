"""Where an agent's events go: the deployment's Redis stream, or a list in this process.

The stream `mvlab:events:<deployment>` (`contract.events`) holds one entry per event (field `event`,
the event's JSON, signed by the agent that sent it: `contract.trust`), kept until the deployment's
teardown and retention (`designer.events`): the site's websocket consumer replays it from the
start and then follows it, so a browser that connects late or reconnects sees every event once,
in order. An XADD that finds Redis restarting is tried again (`RESTART_RETRY`), so a restart of
Redis does not fail the step that sent it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from contract.events import EVENT_FIELD, AnyEvent, stream_key

# A command that finds Redis down is tried again for up to about 11 s (jittered back-off, 6 s on
# average) before it fails: a restart of Redis costs a pause, not a failed deployment.
RESTART_RETRY = Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=14)
Sink = Callable[[AnyEvent], None]
Signer = Callable[[dict], dict]  # an event's JSON fields -> the same with the agent's signature


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
        self.client.xadd(self.key, {EVENT_FIELD: json.dumps(self.sign(data) if self.sign else data)})


class ListEventSink:
    """Keeps events in memory, for the command line and tests; `echo` also sees each one."""

    def __init__(self, echo: Sink | None = None):
        self.events: list[AnyEvent] = []
        self.echo = echo

    def __call__(self, event: AnyEvent) -> None:
        self.events.append(event)
        if self.echo is not None:
            self.echo(event)
