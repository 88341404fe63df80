"""Trust between the site and one agent: the agent's own Redis user, and signatures both ways.

It is part of the contract because both sides must compute it alike: the site signs tasks and the
agent checks them with the same canonical JSON and HMAC, and the agent's Redis user (made by the
site) must allow exactly the keys the agent's worker uses. Plain functions, no Django, no kernel.

Every agent has a secret of its own, made by the site (`manage.py lab agent add NAME`) and given
to the agent in `MVLAB_AGENT_SECRET`. It serves twice:

- Redis: the agent logs in as `mvlab-agent-<name>` with the secret as password. That ACL user
  (`acl_rules`) may use only what this agent's worker needs: its own queue `agent.<name>` (and its
  priority lists), its kombu binding, its own unacked keys (`unacked_keys`), the Celery results of
  task ids `agent.<name>.*` and their accepted records, its heartbeat and host lock, and XADD
  (write only) to event streams. It cannot read, push to or delete another agent's queue, results
  or heartbeat, list keys, or read any stream.
- Signatures (HMAC-SHA256 with `signing_key(secret)`): the site signs every task it sends to an
  agent over the agent's name, the task's name, its id, its expiry (Celery's `expires`) and its
  arguments (header `mvlab_signature`, `signed_task`); the agent refuses any task whose signature
  is missing, wrong or made for another agent, or that expired (`task_refusal`). The agent signs
  every event it adds to a deployment's stream (`signed: {"agent", "sig"}` beside the event's
  fields); the site keeps only the events signed by the agent that serves the event's host
  (`verified_event`).

Replay: the agent runs a task id once. It records every task id it accepts with SET NX on
`accepted_key(id)` (its own key space) for as long as the message is valid, and refuses a
message whose id it accepted before; once that record is gone, the message has expired.

Task results carry no signature: an agent's Redis user can write the result of no task id but its
own, so a result read under `celery-task-meta-agent.<name>.*` came from that agent (or from the
site's own Redis user). Where agents have no Redis user (`lab agent add --without-redis-user`, a
development Redis without ACLs), whoever can log in to Redis can also write results and heartbeats;
plans and stored events stay signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import uuid

from contract import agents
from contract.events import SIGNED_FIELD, STREAM_PREFIX, without_signature

SECRET_ENV = "MVLAB_AGENT_SECRET"
USER_PREFIX = "mvlab-agent-"
SIGNATURE_HEADER = "mvlab_signature"
EXPIRES_HEADER = "expires"  # Celery's own (ISO 8601): no worker runs the task after it
ACCEPTED_PREFIX = "mvlab:accepted:"
EVENT_STREAMS = f"{STREAM_PREFIX}*"
# every command an agent's worker sends (measured with ACL LOG on a worker with nothing else allowed)
AGENT_COMMANDS = (
    "ping",
    "hello",
    "auth",
    "client|setname",
    "select",
    "brpop",
    "lpush",
    "llen",
    "sadd",
    "smembers",
    "set",
    "setex",
    "get",
    "del",
    "exists",
    "expire",
    "pexpire",
    "pttl",
    "evalsha",
    "eval",
    "script|load",
    "xadd",
    "publish",
    "zadd",
    "zrem",
    "zrange",
    "zrangebyscore",
    "hset",
    "hget",
    "hdel",
    "multi",
    "exec",
    "discard",
    "watch",
    "unwatch",
)
PRIORITY_SEP = "\x06\x16"  # kombu's Redis transport: queue + SEP + priority is that priority's list


def redis_user(name: str) -> str:
    return f"{USER_PREFIX}{name}"


def signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"mvlab agent signing key", hashlib.sha256).digest()


def task_id_prefix(name: str) -> str:
    return f"agent.{name}."


def new_task_id(name: str) -> str:
    """A task id whose Celery result (`celery-task-meta-<id>`) agent `name`'s Redis user may write."""
    return f"{task_id_prefix(name)}{uuid.uuid4()}"


def accepted_key(task_id: str) -> str:
    """Where an agent records that it accepted task `task_id` (and which start of it did)."""
    return f"{ACCEPTED_PREFIX}{task_id}"


def unacked_keys(name: str) -> dict[str, str]:
    """Kombu's transport options that give agent `name` unacked keys of its own (kombu shares one
    `unacked` hash between all consumers by default, which one agent's user could then read)."""
    return {
        "unacked_key": f"mvlab:unacked:{name}",
        "unacked_index_key": f"mvlab:unacked_index:{name}",
        "unacked_mutex_key": f"mvlab:unacked_mutex:{name}",
    }


def acl_rules(name: str, secret: str) -> list[str]:
    """`ACL SETUSER mvlab-agent-<name>` arguments: this agent's keys and channels and nothing more."""
    queue = agents.queue(name)
    keys = [
        queue,
        f"{queue}{PRIORITY_SEP}*",
        f"_kombu.binding.{queue}",
        f"_kombu.binding_permanent.{queue}",
        *unacked_keys(name).values(),
        f"celery-task-meta-{task_id_prefix(name)}*",
        agents.heartbeat_key(name),
        f"{agents.LOCK_PREFIX}{name}",
        accepted_key(f"{task_id_prefix(name)}*"),
    ]
    return [
        "reset",
        "on",
        f">{secret}",
        "resetchannels",
        f"&celery-task-meta-{task_id_prefix(name)}*",
        *(f"~{key}" for key in keys),
        f"%W~{EVENT_STREAMS}",
        *(f"+{command}" for command in AGENT_COMMANDS),
    ]


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, value: object) -> str:
    return hmac.new(key, _canonical(value), hashlib.sha256).hexdigest()


def task_signature(
    key: bytes, agent: str, task: str, task_id: str, expires: str, args: list, kwargs: dict
) -> str:
    """The signature of one task message for `agent` (its arguments as JSON carries them)."""
    args, kwargs = json.loads(json.dumps(list(args))), json.loads(json.dumps(kwargs or {}))
    return _mac(key, ["task", agent, task, task_id, expires, args, kwargs])


def signed_task(key: bytes, agent: str, task: str, args: list, valid_for: float) -> dict:
    """`send_task` options that make a task message `agent` accepts for `valid_for` seconds: a task
    id its Redis user may store the result of, the expiry, and the signature over both."""
    task_id = new_task_id(agent)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=valid_for)).isoformat()
    signature = task_signature(key, agent, task, task_id, expires, args, {})
    return {"task_id": task_id, "expires": expires, "headers": {SIGNATURE_HEADER: signature}}


def seconds_left(headers: dict) -> float:
    """Seconds until a task message whose headers passed `task_refusal` expires, by this clock."""
    return (dt.datetime.fromisoformat(headers[EXPIRES_HEADER]) - dt.datetime.now(dt.UTC)).total_seconds()


def task_refusal(key: bytes, agent: str, headers: dict, args: list, kwargs: dict) -> str | None:
    """Why agent `agent` must refuse this task message, or None when the site signed it for it and
    it has not expired."""
    task, task_id, expires = headers.get("task"), headers.get("id"), headers.get(EXPIRES_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not isinstance(signature, str) or not signature:
        return "it carries no signature of the site"
    if not isinstance(task_id, str) or not task_id.startswith(task_id_prefix(agent)):
        return f"its task id {task_id!r} is not one the site gives agent {agent}"
    expected = task_signature(key, agent, str(task), task_id, str(expires), args, kwargs)
    if not hmac.compare_digest(signature, expected):
        return (
            f"its signature is not the site's for agent {agent} (forged, altered, or made for another agent)"
        )
    try:
        left = seconds_left(headers)
    except (TypeError, ValueError):
        return f"its expiry {expires!r} is not a time with its zone"
    if left <= 0:
        return (
            f"it expired at {expires} ({math.ceil(-left)} s ago by this agent's clock): "
            "the site stopped waiting for it"
        )
    return None


def sign_event(key: bytes, agent: str, data: dict) -> dict:
    """The event `data` (its JSON fields) with the agent's signature beside them."""
    return {**data, SIGNED_FIELD: {"agent": agent, "sig": _mac(key, ["event", agent, data])}}


def verified_event(raw: dict, agent: str, key: bytes) -> dict | None:
    """The event's fields when `agent` signed it with `key`; None when unsigned, mis-signed or
    signed by another agent."""
    signed = raw.get(SIGNED_FIELD)
    if not isinstance(signed, dict) or signed.get("agent") != agent or not isinstance(signed.get("sig"), str):
        return None
    data = without_signature(raw)
    return data if hmac.compare_digest(signed["sig"], _mac(key, ["event", agent, data])) else None
