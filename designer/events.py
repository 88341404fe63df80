"""The event stream of a deployment: `mvlab:events:<deployment>` in Redis.

Agents XADD one entry per event (field `event`, the JSON of a `contract.events` event);
the site adds its `contract.events.state_entry` when a deployment's state changes. A reader's
cursor is the Redis *entry id* of the last entry it saw
(`<milliseconds>-<n>`): it names the same entry for every reader and survives a restart
of Redis (ids keep growing: a restored stream keeps its ids, and new entries get ids above
every id handed out before, also when a Redis without persistence lost the old ones).

A torn-down deployment's stream expires `MVLAB_EVENTS_RETENTION` seconds after the teardown.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TypeVar

import redis
import redis.asyncio
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from contract.events import EVENT_FIELD, state_entry, stream_key
from designer.redis_client import sync_client

REPLAY_CHUNK = 500
START = "0-0"
_CURSOR = re.compile(r"(0|\d{1,20}-\d{1,20})")
# A follower's read blocks for this share of its socket timeout: a longer XREAD block ends in
# TimeoutError (redis-py 8's default timeout is 5 s, which once closed every idle websocket).
BLOCK_SHARE = 0.4
# A failed read is retried this often (up to 2.4 s of back-off, enough for a Redis restart)
# before the follower gives up and its websocket closes for the browser to reconnect; and a read
# that takes longer than this many read timeouts in all (a Redis that accepts and never answers
# made redis-py's reconnecting retries last 30 s at a 1 s timeout) fails then.
READ_RETRIES = 4
T = TypeVar("T")


def parse_cursor(text: str) -> str | None:
    """A client's cursor: an entry id `<ms>-<n>`, or `0` for the start; None when malformed."""
    if not _CURSOR.fullmatch(text):
        return None
    return START if text == "0" else text


def id_order(entry_id: str) -> tuple[int, int]:
    """An entry id as a tuple that sorts as Redis orders the ids."""
    ms, _, n = entry_id.partition("-")
    return int(ms), int(n or 0)


def _decode(fields: dict[str, str]) -> dict:
    try:
        return json.loads(fields[EVENT_FIELD])
    except (KeyError, ValueError):
        return {"kind": "unreadable", "raw": fields}


def publish_state(deployment: str, state: str, detail: str = "") -> None:
    """Adds a deployment state change to the stream, so it is replayed with everything else.

    A teardown starts the retention: the stream expires `MVLAB_EVENTS_RETENTION` seconds later."""
    with sync_client().pipeline() as pipe:
        pipe.xadd(stream_key(deployment), {EVENT_FIELD: json.dumps(state_entry(deployment, state, detail))})
        if state == "torn_down":
            pipe.expire(stream_key(deployment), settings.MVLAB_EVENTS_RETENTION)
        pipe.execute()


def read_all(deployment: str) -> Iterator[tuple[str, dict]]:
    """Every kept event of a deployment with its entry id, in order."""
    client = sync_client()
    start = "-"
    while True:
        entries = client.xrange(stream_key(deployment), min=start, max="+", count=REPLAY_CHUNK)
        for entry_id, fields in entries:
            yield entry_id, _decode(fields)
        if len(entries) < REPLAY_CHUNK:
            return
        start = "(" + entries[-1][0]


def follower_client() -> redis.asyncio.Redis:
    """An async client whose reads time out after MVLAB_EVENTS_READ_TIMEOUT_MS, retried a few times."""
    timeout = settings.MVLAB_EVENTS_READ_TIMEOUT_MS / 1000
    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=1), READ_RETRIES),
    )


async def _within(deadline: float, read: Awaitable[T]) -> T:
    """The answer of `read`; redis.TimeoutError when it (its retries included) outlasts `deadline` s."""
    limit = asyncio.timeout(deadline)
    try:
        async with limit:
            answer = await read
    except TimeoutError:
        if not limit.expired():
            raise
    if limit.expired():  # also when redis-py swallowed the cancel that the limit sent
        raise redis.TimeoutError(f"no answer from Redis within {deadline:g} s")
    return answer


def _deadline() -> float:
    return settings.MVLAB_EVENTS_READ_TIMEOUT_MS / 1000 * (READ_RETRIES + 1)


async def last_id(deployment: str) -> str:
    """The id of the newest entry of the stream (START when it has none)."""
    client = follower_client()
    try:
        newest = await _within(_deadline(), client.xrevrange(stream_key(deployment), count=1))
    finally:
        await client.aclose()
    return newest[0][0] if newest else START


async def follow(deployment: str, after: str = START) -> AsyncIterator[tuple[str, dict]]:
    """Every kept event with an entry id above `after`, then live ones as they come.

    Raises redis.RedisError when Redis stays unreachable through the retries, or silent for
    (READ_RETRIES + 1) read timeouts."""
    client = follower_client()
    key, last = stream_key(deployment), after
    block_ms = max(1, int(settings.MVLAB_EVENTS_READ_TIMEOUT_MS * BLOCK_SHARE))
    deadline = _deadline()
    try:
        while True:
            entries = await _within(deadline, client.xrange(key, min="(" + last, max="+", count=REPLAY_CHUNK))
            for entry_id, fields in entries:
                last = entry_id
                yield entry_id, _decode(fields)
            if len(entries) < REPLAY_CHUNK:
                break
        while True:
            answer = await _within(deadline, client.xread({key: last}, block=block_ms, count=REPLAY_CHUNK))
            if asyncio.current_task().cancelling():  # redis-py can swallow a cancel that lands mid-read
                raise asyncio.CancelledError
            for _stream, entries in answer:
                for entry_id, fields in entries:
                    last = entry_id
                    yield entry_id, _decode(fields)
    finally:
        await client.aclose()
