"""The sandbox without privilege: inside fresh user, mount and network namespaces.

After `enter_user_namespace()` the process is root of its own user namespace,
which owns a new network namespace (its "machine": nothing of the real machine's
interfaces is visible or reachable) and a private mount namespace whose
/run/netns is a tmpfs, so the namespaces the sandbox names there are seen by
nobody else and vanish with the process. A classroom machine needs nothing but
unprivileged user namespaces (`unshare -Urn` works).

`enter_user_namespace` must run while the process has a single thread (the
kernel refuses CLONE_NEWUSER otherwise): at the start of a process, or in a fresh
child, which `RootlessHelper` (long-lived) and `run_rootless` (one call) provide.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import pwd
import signal
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from agent import netns
from agent.neighbour_budget import run_dir

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
    """Make this (single-threaded) process root of new user+mount+net namespaces, with a private
    /run/netns."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare(user, mount, net)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    _check(_libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
    run_dir = netns.RUN_NETNS if netns.RUN_NETNS.is_dir() else netns.RUN_NETNS.parent
    _check(_libc.mount(b"tmpfs", str(run_dir).encode(), b"tmpfs", 0, b"mode=0755"), f"tmpfs on {run_dir}")
    netns.RUN_NETNS.mkdir(exist_ok=True)


def unprivileged_uid() -> int | None:
    """The uid a sandbox started by this process drops to: nobody's when this process is root, else
    None (it stays this unprivileged user)."""
    return pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else None


def drop_to(uid: int) -> None:
    """Become `uid` (and its primary group, no others) for good; needs root."""
    os.setgroups([])
    os.setgid(pwd.getpwuid(uid).pw_gid)
    os.setuid(uid)
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a uid change clears it; /proc/self needs it


def _send(pipe: BinaryIO, message: tuple) -> None:
    pipe.write(pickle.dumps(message))
    pipe.flush()


def _serve(requests: BinaryIO, answers: BinaryIO, as_uid: int | None) -> None:
    """The helper's life: enter the namespaces, say ready, then run each call until the pipe closes."""
    try:
        if as_uid is not None:
            drop_to(as_uid)
        enter_user_namespace()
    except BaseException:
        _send(answers, ("error", traceback.format_exc()))
        return
    _send(answers, ("ready", None))
    while True:
        try:
            fn, args, kwargs, with_emit = pickle.load(requests)
        except EOFError:  # the parent closed the pipe, or died
            return
        if with_emit:
            kwargs["emit"] = lambda event: _send(answers, ("event", event))
        try:
            outcome = ("ok", fn(*args, **kwargs))
        except BaseException:
            outcome = ("error", traceback.format_exc())
        try:
            _send(answers, outcome)
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(answers, ("error", traceback.format_exc()))


class RootlessHelper:
    """A child process in fresh user, mount and network namespaces (`enter_user_namespace`) that runs
    its parent's calls there, one at a time, for as long as it lives.

    Whatever its calls make in the kernel lives in its namespaces and vanishes with it: when the
    parent closes it, or dies (the helper reads the end of its pipe), or it is killed. `as_uid`
    (needs root): the helper first drops to that uid and its primary group. Functions and arguments
    go to it pickled (module-level functions, by name: the forked child has the same code), and so
    do results and the events a call emits.
    """

    def __init__(self, as_uid: int | None = None):
        run_dir()  # made while privileged, so that the helper's probers share the machine's neighbour budget
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: never returns
            try:
                os.close(requests_write)
                os.close(answers_read)
                with os.fdopen(requests_read, "rb") as requests, os.fdopen(answers_write, "wb") as answers:
                    _serve(requests, answers, as_uid)
            finally:
                os._exit(0)
        os.close(requests_read)
        os.close(answers_write)
        self.pid = pid
        self._ended = False  # reaped
        self._requests = os.fdopen(requests_write, "wb")
        self._answers = os.fdopen(answers_read, "rb")
        self._lock = threading.Lock()
        try:
            self._receive()  # ready, or why not
        except BaseException:
            self.close()
            raise

    @property
    def run_netns(self) -> Path:
        """The helper's /run/netns, as its parent sees it (through /proc)."""
        return Path(f"/proc/{self.pid}/root") / netns.RUN_NETNS.relative_to("/")

    def _receive(self) -> tuple[str, object]:
        try:
            kind, value = pickle.load(self._answers)
        except EOFError:  # it is ending
            self._reap()
            raise RootlessError(f"the rootless helper (pid {self.pid}) died") from None
        if kind == "error":
            raise RootlessError(f"in the rootless helper:\n{value}")
        return kind, value

    def call(self, fn: Callable[..., T], *args, emit: Callable[[Any], None] | None = None, **kwargs) -> T:
        """`fn(*args, **kwargs)` in the helper; with `emit`, fn gets `emit=` too, and each event it emits
        there is given to this `emit` here as it comes. If this `emit` raises, the call still runs to
        its end (the helper's state stays known) and then the first such error is raised."""
        with self._lock:
            _send(self._requests, (fn, args, kwargs, emit is not None))
            failed: Exception | None = None
            while True:
                kind, value = self._receive()
                if kind != "event":
                    break
                try:
                    emit(value)
                except Exception as exc:
                    failed = failed or exc
            if failed is not None:
                raise failed
            return value

    def alive(self) -> bool:
        """Whether the helper still runs (one that ended took its namespaces with it)."""
        self._ended = self._ended or os.waitpid(self.pid, os.WNOHANG)[0] == self.pid
        return not self._ended

    def close(self) -> None:
        """End the helper, and with it every namespace it made."""
        for pipe in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                pipe.close()
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)  # a call it may still be running ends now too
        self._reap()

    def _reap(self) -> None:
        """Wait for the helper to end (it is ending)."""
        if self.alive():
            os.waitpid(self.pid, 0)
            self._ended = True

    def __enter__(self) -> RootlessHelper:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_rootless(fn: Callable[..., T], *args, as_uid: int | None = None, **kwargs) -> T:
    """Call `fn(*args, **kwargs)` in a fresh `RootlessHelper` (see there), which ends with the call.

    `as_uid` (needs root): the helper first drops to that uid, so the run proves no privilege is
    needed. Returns fn's (picklable) result; raises RootlessError with the helper's traceback if
    anything failed there.
    """
    with RootlessHelper(as_uid) as helper:
        return helper.call(fn, *args, **kwargs)
