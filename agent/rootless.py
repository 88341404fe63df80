"""The sandbox without privilege: inside fresh user, mount and network namespaces.

After `enter_user_namespace()` the process is root of its own user namespace,
which owns a new network namespace (its "machine": nothing of the real machine's
interfaces is visible or reachable) and a private mount namespace whose
/run/netns is a tmpfs, so the namespaces the sandbox names there are seen by
nobody else and vanish with the process. A classroom machine needs nothing but
unprivileged user namespaces (`unshare -Urn` works).

`enter_user_namespace` must run while the process has a single thread (the
kernel refuses CLONE_NEWUSER otherwise): at the start of an agent, or in a fresh
child, which `run_rootless` provides.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import traceback
from collections.abc import Callable
from typing import TypeVar

from agent import netns

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE = 4
_MS_REC = 16384
_MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)

T = TypeVar("T")


class RootlessError(RuntimeError):
    """Entering the user namespace failed, or the function run there raised."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise RootlessError(f"{what}: {os.strerror(err)} (errno {err})")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter_user_namespace() -> None:
    """Make this (single-threaded) process root of new user+mount+net namespaces, with a private /run/netns."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare(user, mount, net)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    _check(_libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
    run_dir = netns.RUN_NETNS if netns.RUN_NETNS.is_dir() else netns.RUN_NETNS.parent
    _check(_libc.mount(b"tmpfs", str(run_dir).encode(), b"tmpfs", 0, b"mode=0755"), f"tmpfs on {run_dir}")
    netns.RUN_NETNS.mkdir(exist_ok=True)


def run_rootless(fn: Callable[..., T], *args, as_uid: int | None = None, **kwargs) -> T:
    """Call `fn(*args, **kwargs)` in a forked child that first enters fresh user namespaces.

    `as_uid` (needs root): the child first drops to that uid and its primary group, so the
    run proves no privilege is needed. Returns fn's (picklable) result; raises RootlessError
    with the child's traceback if anything failed there.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(read_end)
            if as_uid is not None:
                import pwd

                os.setgroups([])
                os.setgid(pwd.getpwuid(as_uid).pw_gid)
                os.setuid(as_uid)
                _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a uid change clears it; /proc/self needs it
            enter_user_namespace()
            outcome = ("ok", fn(*args, **kwargs))
        except BaseException:
            outcome, status = ("error", traceback.format_exc()), 1
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(outcome, pipe)
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise RootlessError("the rootless child died without an answer")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise RootlessError(f"in the rootless child:\n{value}")
    return value
