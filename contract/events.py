"""The events of a deployment, as they travel through its Redis stream.

Agents XADD one entry per event to `mvlab:events:<deployment>` (field `event`: the JSON of a
`StepEvent`, `ProbeEvent` or `FinishedEvent`, signed by the agent beside its fields:
`contract.trust`); the site adds its own `state_entry` when a deployment's state changes. Both
sides and the command line read entries back with `parse_event`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, TypeAdapter

from contract.plan import Strict

if TYPE_CHECKING:
    from redis import Redis

STREAM_PREFIX = "mvlab:events:"
EVENT_FIELD = "event"  # the field of a stream entry that holds its JSON
AGENT_KINDS = ("step", "probe", "finished")
STATE_KIND = "deployment"  # the site's deployment-state entries
SANDBOX_HOST = "sandbox"  # the host of a lab sandbox's own events (its fabric, not a design host)
SIGNED_FIELD = "signed"  # beside an agent event's fields: its signature (contract.trust)


def stream_key(deployment: str) -> str:
    return f"{STREAM_PREFIX}{deployment}"


def without_signature(raw: dict) -> dict:
    return {field: value for field, value in raw.items() if field != SIGNED_FIELD}


def state_entry(deployment: str, state: str, detail: str = "") -> dict:
    """The site's entry for a deployment that changed state."""
    return {"kind": STATE_KIND, "deployment": deployment, "state": state, "detail": detail}


class StepEvent(Strict):
    kind: Literal["step"] = "step"
    deployment: str
    host: str
    step: str
    status: Literal["started", "done", "failed"]
    detail: str = ""


class ProbeEvent(Strict):
    kind: Literal["probe"] = "probe"
    deployment: str
    host: str
    src: str
    dst: str
    dst_ip: str
    expected: bool
    observed: bool
    rtt_ms: float | None = None
    ttl: int | None = None


class FinishedEvent(Strict):
    kind: Literal["finished"] = "finished"
    deployment: str
    host: str
    ok: bool
    detail: str = ""


Event = Annotated[StepEvent | ProbeEvent | FinishedEvent, Field(discriminator="kind")]


AnyEvent = StepEvent | ProbeEvent | FinishedEvent
_events = TypeAdapter(Event)


def parse_event(data: str | bytes | dict) -> AnyEvent:
    """An agent event from its JSON (or decoded JSON), validated; a signature beside its fields is
    left out (check it first with `contract.trust.verified_event` where it matters). Raises
    pydantic.ValidationError (a ValueError) when it is no agent event."""
    return _events.validate_python(without_signature(data if isinstance(data, dict) else json.loads(data)))


def follow_stream(
    client: Redis, deployment: str, after: str = "0-0", block_ms: int = 1000
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
                raw = fields.get(EVENT_FIELD.encode(), fields.get(EVENT_FIELD))
                yield last, json.loads(raw)
