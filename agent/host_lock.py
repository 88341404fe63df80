"""The Redis lock that lets one task at a time change an agent's host, kept alive while it is held
(`hold`, the same lock under any key, is also the site worker's lease on a deployment it runs).

A holder renews the lock every third of its TTL, so a long deploy keeps the host while an agent
killed with SIGKILL frees it within LOCK_TTL seconds. Renewal outlives Redis blips: a failed
renewal is retried every RETRY_EVERY seconds for as long as the lock would still be ours (its TTL
since the last renewal that worked); a lock Redis forgot meanwhile (a restart without persistence)
is taken back with the same token if nobody else took it. The lock is lost only when another
holder has it, or Redis stayed unreachable for a whole TTL (it then expired, and another worker
may have started on the host). A lost lock is never hidden:

- with `interrupt=True` the holding thread gets LockLost at once, so a machine apply stops at its
  next step rather than going on unprotected (the plans are idempotent: the next apply finishes it);
- otherwise (a lab agent, whose sandboxes are built in its rootless helper, which an interrupted
  call would leave mid-answer) the holder runs to its end and leaving the lock raises LockLost.

Releasing never raises over a result: a release Redis refuses or cannot hear is logged, and the
lock then expires on its own within its TTL.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.backoff import NoBackoff
from redis.exceptions import LockError, LockNotOwnedError
from redis.lock import Lock
from redis.retry import Retry

from contract.agents import LOCK_PREFIX

LOCK_TTL = 30  # seconds a crashed holder keeps the host locked; a live holder keeps renewing it
LOCK_WAIT = 900  # seconds a task waits for the host before it fails
RETRY_EVERY = 1.0  # seconds between renewals while Redis does not answer

log = logging.getLogger("mvlab.agent")


class LockLost(RuntimeError):
    """A held lock went to another holder, or expired, while its holder still worked under it."""


class Busy(RuntimeError):
    """The lock stayed with another holder for as long as the caller would wait."""


class HeldLock:
    """A lock this thread holds, renewed by a thread of its own until `release`; `owner` names the
    holder in what it logs and raises (e.g. "agent lab")."""

    def __init__(self, owner: str, lock: Lock, ttl: float, interrupt: bool):
        self.owner = owner
        self.lock = lock
        self.ttl = ttl
        self.interrupt = interrupt
        self.holder = threading.get_ident()
        self.lost: str | None = None  # why the lock was lost, once it is
        self.renewals_failed = 0  # renewals Redis did not answer (each retried)
        self._done = threading.Event()
        self._guard = threading.Lock()  # no interrupt once the holder is done
        self._renewer = threading.Thread(target=self._keep_renewed, name="mvlab-lock-renewer", daemon=True)
        self._renewer.start()

    def check(self) -> None:
        """Raise LockLost if the lock is no longer this holder's."""
        if self.lost is not None:
            raise LockLost(self.lost)

    def _keep_renewed(self) -> None:
        last_renewed = time.monotonic()
        wait = self.ttl / 3
        while not self._done.wait(wait):
            try:
                self._renew(time.monotonic() - last_renewed)
            except LockError as exc:
                self._lose(str(exc))
                return
            except redis.RedisError as exc:  # no answer, or an odd one: retried while the lock may be ours
                self.renewals_failed += 1
                if time.monotonic() - last_renewed >= self.ttl:
                    self._lose(f"Redis did not answer for {self.ttl:g} s ({exc}), so the lock expired")
                    return
                log.warning("%s: renewing its lock %s failed (%s); retrying", self.owner, self.lock.name, exc)
                wait = min(RETRY_EVERY, self.ttl / 10)
                continue
            last_renewed, wait = time.monotonic(), self.ttl / 3

    def _renew(self, since_renewed: float) -> None:
        """Reset the lock's expiry, or take it back if Redis forgot it before it could have expired."""
        try:
            self.lock.reacquire()
            return
        except LockNotOwnedError:
            holder = self.lock.redis.get(self.lock.name)
        if holder is not None:
            raise LockNotOwnedError("another worker holds it now")
        if since_renewed >= self.ttl:
            raise LockNotOwnedError(f"it expired ({since_renewed:.1f} s since the last renewal)")
        if not self.lock.redis.set(self.lock.name, self.lock.local.token, nx=True, px=int(self.ttl * 1000)):
            raise LockNotOwnedError("another worker took it after Redis forgot it")
        log.warning(
            "%s: Redis had forgotten its lock %s (a restart?); took it back", self.owner, self.lock.name
        )

    def _lose(self, why: str) -> None:
        self.lost = f"{self.owner} lost its lock {self.lock.name} while working under it: {why}"
        log.error("%s", self.lost)
        with self._guard:
            if self.interrupt and not self._done.is_set():
                # The holder runs Python code (a machine apply): it gets LockLost at its next bytecode.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self.holder), ctypes.py_object(LockLost)
                )

    def release(self) -> None:
        """Stop renewing and let the lock go. Raises nothing of its own (a lock it cannot let go expires
        by itself); only an interrupt that reached the holder as it finished (LockLost)."""
        with self._guard:
            self._done.set()
        self._renewer.join()
        if self.lost is not None:
            return
        try:
            self.lock.release()
        except redis.RedisError as exc:
            log.warning(
                "%s: releasing its lock %s failed (%s); it expires within %g s",
                self.owner,
                self.lock.name,
                exc,
                self.ttl,
            )


def _answering_at_once(client: redis.Redis, ttl: float) -> redis.Redis:
    """A client to the same Redis that tries each command once, within a third of the TTL: the
    renewer counts and retries failures itself (redis-py's own retries back off for many seconds,
    past the lock's expiry)."""
    pool = client.connection_pool
    kwargs = {
        **pool.connection_kwargs,
        "retry": Retry(NoBackoff(), 0),
        "socket_timeout": ttl / 3,
        "socket_connect_timeout": ttl / 3,
    }
    return redis.Redis(connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs))


def hold_host(
    name: str,
    client: redis.Redis,
    *,
    ttl: float | None = None,
    wait: float | None = None,
    interrupt: bool = True,
):
    """Hold the host of agent `name`: one changing task at a time, across workers."""
    wait = LOCK_WAIT if wait is None else wait
    busy = f"agent {name}: host stayed busy with another deploy for {wait:g} s"
    return hold(
        f"{LOCK_PREFIX}{name}",
        client,
        owner=f"agent {name}",
        ttl=LOCK_TTL if ttl is None else ttl,
        wait=wait,
        interrupt=interrupt,
        busy=busy,
    )


@contextmanager
def hold(
    key: str,
    client: redis.Redis,
    *,
    owner: str,
    ttl: float,
    wait: float,
    interrupt: bool,
    busy: str,
) -> Iterator[HeldLock]:
    """Hold the lock `key`, waiting at most `wait` seconds for it (Busy(busy) after that), renewed
    until the block ends; see the module's docstring for what happens when it is lost."""
    # thread_local=False: the renewing thread must see the token the acquiring thread got.
    lock = client.lock(key, timeout=ttl, blocking_timeout=wait, thread_local=False)
    if not lock.acquire():
        raise Busy(busy)
    lock.redis = _answering_at_once(client, ttl)  # renewed and released by a client that does not linger
    held = HeldLock(owner, lock, ttl, interrupt)
    try:
        try:
            yield held
        finally:
            held.release()
    except LockLost:
        raise LockLost(held.lost) from None  # the bare class the renewer raised in the holder, named
    held.check()
