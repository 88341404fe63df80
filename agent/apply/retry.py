"""Plumbing for netlink calls: one call or one batch, transient kernel errors retried with backoff,
every failure an ApplyError naming the host, the object and the kernel's error."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable

from pyroute2.netlink.exceptions import NetlinkError

from agent import rtnl

TRANSIENT = frozenset({errno.EBUSY, errno.EAGAIN, errno.ENOBUFS, errno.EINTR})
GONE = frozenset({errno.ENODEV, errno.ESRCH, errno.EADDRNOTAVAIL, errno.ENOENT})
RETRIES = 5


class ApplyError(RuntimeError):
    """A step failed; the message names the object, the host and the kernel's error."""


def _fail(host: str, what: str, code: int) -> ApplyError:
    return ApplyError(f"host {host}: {what}: kernel said {os.strerror(code)} (errno {code})")


def retry(what: str, host: str, fn: Callable, *args, **kwargs):
    """Run one netlink call, retrying transient kernel errors with backoff."""
    for attempt in range(RETRIES):
        try:
            return fn(*args, **kwargs)
        except NetlinkError as exc:
            if exc.code in TRANSIENT and attempt < RETRIES - 1:
                time.sleep(0.005 * 2**attempt)
                continue
            raise _fail(host, what, exc.code) from exc
        except OSError as exc:
            raise ApplyError(f"host {host}: {what}: {exc}") from exc


def do_requests(rt: rtnl.Rtnl, host: str, where: str, requests) -> None:
    """Send a batch; resend only what failed transiently; a removal of something already gone and
    a creation that meets its object after a retry (a race with ourselves) count as done."""
    for attempt in range(RETRIES):
        try:
            rt.do(*requests)
            return
        except rtnl.RequestError as exc:
            again = []
            for request, code in exc.failures:
                gone = request.removal and code in GONE
                met_itself = attempt and request.creation and code == errno.EEXIST
                if gone or met_itself:
                    continue
                if code in TRANSIENT and attempt < RETRIES - 1:
                    again.append(request)
                    continue
                raise _fail(host, f"{request.what} in {where}", code) from exc
            if not again:
                return
            requests = again
            time.sleep(0.005 * 2**attempt)
