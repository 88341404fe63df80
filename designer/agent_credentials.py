"""The site's side of agent trust (contract.trust): each agent's secret, its Redis user, signatures.

An agent's secret is never stored: it is HMAC(SECRET_KEY, name + a random nonce), and only the
nonce is kept, in the Redis hash `mvlab:site:agent-credentials` (with whether the agent has a
Redis user of its own). Whoever reads Redis, or holds one agent's secret, cannot derive any
secret; a new nonce (`add(..., rotate=True)`) makes a new secret and the old one worthless.
Changing SECRET_KEY changes every agent's secret: each must then join again.

The Redis user `mvlab-agent-<name>` lives in Redis only, which forgets it at a restart (no ACL file):
every site worker calls `restore_users()` every few seconds, which makes the missing ones again, so
agents log in again by themselves; `sync()` makes every recorded agent's user again at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from django.conf import settings

from contract.trust import (
    SECRET_ENV,
    acl_rules,
    redis_user,
    signed_task,
    signing_key,
    verified_event,
)
from designer.redis_client import sync_client

CREDENTIALS_KEY = "mvlab:site:agent-credentials"
CLOCK_ALLOWANCE = 300  # seconds an agent's clock may be ahead of the site's


class NoCredential(RuntimeError):
    """The site has no secret for this agent: it never joined, or was removed."""

    def __init__(self, name: str):
        super().__init__(
            f"agent {name!r} has no credential on this site; add it with `manage.py lab agent add {name}`"
        )


@dataclass(frozen=True)
class Credential:
    name: str
    secret: str
    redis_user: bool  # whether it logs in as its own Redis user (else as its broker URL's)

    def env(self, broker: str) -> dict[str, str]:
        """The environment the agent starts with: its secret, and `broker` with its Redis user."""
        url = with_credentials(broker, redis_user(self.name), self.secret) if self.redis_user else broker
        return {SECRET_ENV: self.secret, "MVLAB_BROKER_URL": url}


def _derive(name: str, nonce: str) -> str:
    message = f"mvlab-agent:{name}:{nonce}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _record(name: str, client: redis.Redis) -> dict | None:
    return _parsed(client.hget(CREDENTIALS_KEY, name))


def _parsed(raw: str | None) -> dict | None:
    try:
        record = json.loads(raw) if raw else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("nonce"), str) else None


def _credential(name: str, record: dict) -> Credential:
    return Credential(name, _derive(name, record["nonce"]), bool(record.get("redis_user")))


def credential(name: str) -> Credential:
    record = _record(name, sync_client())
    if record is None:
        raise NoCredential(name)
    return _credential(name, record)


def has_credential(name: str) -> bool:
    return _record(name, sync_client()) is not None


def key_of(name: str) -> bytes:
    return signing_key(credential(name).secret)


def _set_redis_user(client: redis.Redis, cred: Credential) -> None:
    rules = acl_rules(cred.name, cred.secret)
    try:  # redis-py names itself with CLIENT SETINFO, which Redis has since 7.2
        client.execute_command("ACL", "SETUSER", redis_user(cred.name), *rules, "+client|setinfo")
    except redis.ResponseError as exc:
        if "client|setinfo" not in str(exc):
            raise
        client.execute_command("ACL", "SETUSER", redis_user(cred.name), *rules)


def add(name: str, *, with_redis_user: bool = True, rotate: bool = False) -> Credential:
    """The agent's credential: the one it has, or a new one (also when `rotate`: the old secret and
    every connection made with it stop working). Makes its Redis user unless `with_redis_user` is
    False (a Redis without ACLs, where the agent logs in as the broker URL says)."""
    client = sync_client()
    record = None if rotate else _record(name, client)
    if record is None or bool(record.get("redis_user")) != with_redis_user:
        record = {"nonce": secrets.token_hex(16), "redis_user": with_redis_user}
    cred = _credential(name, record)
    client.hset(CREDENTIALS_KEY, name, json.dumps(record))  # first: see restore_users
    if with_redis_user:
        _set_redis_user(client, cred)
        if rotate:
            client.execute_command("CLIENT", "KILL", "USER", redis_user(name))
    return cred


def remove(name: str) -> bool:
    """Takes the agent's credential back: its secret signs and verifies nothing any more, and its Redis
    user (with every connection it has) is gone. True when there was something to remove."""
    client = sync_client()
    record = _record(name, client)
    removed = bool(client.hdel(CREDENTIALS_KEY, name))
    if record is not None and not record.get("redis_user"):
        return removed
    return bool(client.execute_command("ACL", "DELUSER", redis_user(name))) or removed


def sync() -> list[str]:
    """Makes the Redis user of every recorded agent that has one again; answers their names."""
    client = sync_client()
    made = []
    for name in sorted(client.hkeys(CREDENTIALS_KEY)):
        cred = credential(name)
        if cred.redis_user:
            _set_redis_user(client, cred)
            made.append(name)
    return made


def restore_users() -> list[str]:
    """Makes again the Redis users Redis forgot (it restarted without an ACL file) of the recorded
    agents that have one; answers their names. Each site worker runs it every RECOVER_EVERY seconds.

    The record is read again after the user is made: when `add` (which writes the record before the
    user) or `remove` (which deletes the record before the user) changed it meanwhile, the user is
    made to match what the record says now, so a rotated secret or a removed agent stays so."""
    client = sync_client()
    records = {name: _parsed(raw) for name, raw in client.hgetall(CREDENTIALS_KEY).items()}
    wanted = sorted(name for name, record in records.items() if record and record.get("redis_user"))
    if not wanted:
        return []
    present = set(client.execute_command("ACL", "USERS"))
    made = []
    for name in wanted:
        if redis_user(name) in present:
            continue
        _set_redis_user(client, _credential(name, records[name]))
        now = _record(name, client)
        if now != records[name]:
            if now is not None and now.get("redis_user"):
                _set_redis_user(client, _credential(name, now))
            else:
                client.execute_command("ACL", "DELUSER", redis_user(name))
                continue
        made.append(name)
    return made


def signed(agent: str, task: str, args: list) -> dict:
    """`send_task` options that make a task message agent `agent` accepts (contract.trust.signed_task),
    valid while the site may wait for its answer, plus CLOCK_ALLOWANCE for the agent's clock."""
    return signed_task(key_of(agent), agent, task, args, settings.MVLAB_DEPLOY_TIMEOUT + CLOCK_ALLOWANCE)


def cached_key(agent: str, keys: dict[str, bytes | None]) -> bytes | None:
    """Agent `agent`'s key, kept in `keys` once read (None: it has no credential)."""
    if agent not in keys:
        try:
            keys[agent] = key_of(agent)
        except NoCredential:
            keys[agent] = None
    return keys[agent]


def verified(raw: dict, agent: object, keys: dict[str, bytes | None]) -> dict | None:
    """The event `raw` when `agent` signed it; `keys` caches the agents' keys (`cached_key`)."""
    key = cached_key(agent, keys) if isinstance(agent, str) else None
    return None if key is None else verified_event(raw, agent, key)


def with_credentials(url: str, user: str, password: str) -> str:
    """`url` (redis://, rediss://, redis+socket://, unix://) logging in as `user` with `password`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def without_credentials(url: str) -> str:
    """`url` without its user and password. Cut from the text itself: urlunsplit would write
    `redis+socket:///path`, whose netloc is then empty, as `redis+socket:/path`."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return url
    return url.replace(f"//{netloc}", f"//{netloc.rpartition('@')[2]}", 1)
