"""The event stream of a deployment: `mvlab:events:<deployment>` in Redis.

Agents XADD one entry per event (field `event`, the JSON of an `agent.plan` event);
the site adds `{"kind": "deployment", "state": ...}` entries when a deployment's state
changes. Entries are never trimmed, so the *position* of an entry in its stream
(1, 2, 3, ...) is a sequence number that stays the same for every reader and every
reconnect: a client that saw up to `seq` resumes with `after=seq`.
"""

from __future__ import annotations

import asyncio

import json
from collections.abc import AsyncIterator, Iterator

from designer.redis_client import async_client, sync_client

STREAM_PREFIX = "mvlab:events:"
REPLAY_CHUNK = 500
# below the client's socket timeout (redis-py 8: 5 s), which ends a longer XREAD block with TimeoutError
FOLLOW_BLOCK_MS = 2000


def stream_key(deployment: str) -> str:
    return f"{STREAM_PREFIX}{deployment}"


def _decode(fields: dict[str, str]) -> dict:
    try:
        return json.loads(fields["event"])
    except (KeyError, ValueError):
        return {"kind": "unreadable", "raw": fields}


def publish_state(deployment: str, state: str, detail: str = "") -> None:
    """Adds a deployment state change to the stream, so it is replayed with everything else."""
    event = {"kind": "deployment", "deployment": deployment, "state": state, "detail": detail}
    sync_client().xadd(stream_key(deployment), {"event": json.dumps(event)})


def read_all(deployment: str) -> Iterator[tuple[int, dict]]:
    """Every kept event of a deployment with its sequence number, in order."""
    client = sync_client()
    seq, start = 0, "-"
    while True:
        entries = client.xrange(stream_key(deployment), min=start, max="+", count=REPLAY_CHUNK)
        for _entry_id, fields in entries:
            seq += 1
            yield seq, _decode(fields)
        if len(entries) < REPLAY_CHUNK:
            return
        start = "(" + entries[-1][0]


async def follow(deployment: str, after: int = 0) -> AsyncIterator[tuple[int, dict]]:
    """Every event with a sequence number greater than `after`, then live ones as they come."""
    client = async_client()
    key = stream_key(deployment)
    seq, last_id = 0, "0-0"
    try:
        while True:
            entries = await client.xrange(key, min="(" + last_id, max="+", count=REPLAY_CHUNK)
            for entry_id, fields in entries:
                seq, last_id = seq + 1, entry_id
                if seq > after:
                    yield seq, _decode(fields)
            if len(entries) < REPLAY_CHUNK:
                break
        while True:
            answer = await client.xread({key: last_id}, block=FOLLOW_BLOCK_MS, count=REPLAY_CHUNK)
            if asyncio.current_task().cancelling():  # redis-py can swallow a cancel that lands mid-read
                raise asyncio.CancelledError
            for _stream, entries in answer:
                for entry_id, fields in entries:
                    seq, last_id = seq + 1, entry_id
                    if seq > after:
                        yield seq, _decode(fields)
    finally:
        await client.aclose()
