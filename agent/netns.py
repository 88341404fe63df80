"""Network namespaces and netlink handles bound to exactly one of them.

pyroute2 0.9 has traps (see DESIGN.md): an `IPRoute()` opens its socket lazily
per thread, in whatever namespace that thread is in, and `IPRoute(netns=...)`
forks a helper and creates a missing namespace by default. Here instead:

- a namespace is entered only by a dedicated worker thread (`run_in`), which goes
  back home afterwards, so the namespace of the process and of its other threads
  never changes and no removed namespace is kept alive;
- a handle's netlink socket is made inside that thread, then given to
  `IPRoute(use_socket=...)`; pyroute2 refuses to use such a socket from another
  thread (RuntimeError) instead of quietly opening one in the caller's namespace;
- a missing namespace is always an error; only `create` makes one.

Namespaces are named like iproute2's (`/run/netns/<name>`, a bind mount), so
`ip netns exec` sees them. `MACHINE` names, explicitly, the namespace the agent
process runs in (that of its main thread, which nothing here ever moves): the
machine's own on a real host. (/proc/1/ns/net is not readable in every container.)
"""

from __future__ import annotations

import ctypes
import errno
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pyroute2 import IPRoute

from agent.rtnl import Rtnl

RUN_NETNS = Path("/run/netns")
MACHINE = "/proc/self/ns/net"
NS_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
CLONE_NEWNET = 0x40000000
HALF_MADE_GRACE = 0.5  # seconds a mount point may wait for its namespace before it counts as left over
NETLINK_ROUTE = 0
_MS_BIND = 4096
_MS_REC = 16384
_MS_SHARED = 1 << 20
_MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_run_dir_lock = threading.Lock()
_run_dir_ready: set[tuple[int, int]] = set()  # (mount ns inode, pid) for which /run/netns is shared

T = TypeVar("T")


class NamespaceError(OSError):
    """A namespace is missing, exists already, or the kernel refused an operation on it."""


def _check(result: int, what: str, name: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise NamespaceError(err, f"{what} for namespace {name!r}: {os.strerror(err)}")


def ns_path(ns: str) -> str:
    """The file of namespace `ns`: a name under /run/netns, or `MACHINE`."""
    if ns == MACHINE:
        return ns
    if not NS_NAME_RE.match(ns) or ns in {".", ".."}:
        raise NamespaceError(errno.EINVAL, f"{ns!r} is not a usable namespace name")
    return str(RUN_NETNS / ns)


def exists(ns: str) -> bool:
    """Is `ns` a namespace? (A plain file left by a create that crashed halfway is not.)"""
    path = ns_path(ns)
    return os.path.exists(path) and (ns == MACHINE or os.path.ismount(path))


def list_namespaces(prefix: str = "", run_netns: Path = RUN_NETNS) -> list[str]:
    """Names of the namespaces in /run/netns (or another process's, `run_netns`) starting with `prefix`."""
    try:
        return sorted(n for n in os.listdir(run_netns) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def inode(ns: str) -> int:
    """The namespace's identity: two names are the same namespace iff their inodes match."""
    try:
        return os.stat(ns_path(ns)).st_ino
    except FileNotFoundError:
        raise NamespaceError(errno.ENOENT, f"network namespace {ns!r} does not exist") from None


def _open(ns: str) -> int:
    try:
        fd = os.open(ns_path(ns), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NamespaceError(errno.ENOENT, f"network namespace {ns!r} does not exist") from None
    if ns != MACHINE and os.fstat(fd).st_dev == os.stat(RUN_NETNS).st_dev:
        os.close(fd)  # a plain file, not a bind-mounted namespace (e.g. a half-made one)
        raise NamespaceError(errno.EINVAL, f"{ns_path(ns)} is not a mounted network namespace")
    return fd


class _Worker(threading.Thread):
    """A dedicated thread that runs one job at a time. A job enters (setns) or makes (unshare) the
    namespace it is for; afterwards the worker goes back to the namespace it started in, so it never
    keeps a removed namespace alive, and a worker that cannot go back is never used again."""

    def __init__(self) -> None:
        super().__init__(name="mvlab-netns", daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.home = os.open(MACHINE, os.O_RDONLY | os.O_CLOEXEC)  # the process (main thread) namespace
        self.start()

    def run(self) -> None:
        while True:
            fn, box, done = self.jobs.get()
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the caller
                box["error"] = exc
            box["home"] = _libc.setns(self.home, CLONE_NEWNET) == 0
            done.set()
            if not box["home"]:
                return


_idle: list[_Worker] = []
_idle_lock = threading.Lock()
os.register_at_fork(after_in_child=_idle.clear)  # a forked child has none of these threads


def _in_thread(fn: Callable[[], T]) -> T:
    """Run `fn` in an idle dedicated thread (never the caller's) and return its result or raise."""
    with _idle_lock:
        worker = _idle.pop() if _idle else None
    if worker is None:
        worker = _Worker()
    box: dict[str, object] = {}
    done = threading.Event()
    worker.jobs.put((fn, box, done))
    done.wait()
    if box["home"]:
        with _idle_lock:
            _idle.append(worker)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def run_in(ns: str, fn: Callable[..., T], *args, **kwargs) -> T:
    """Call `fn(*args, **kwargs)` inside namespace `ns`, in a dedicated thread.

    Sockets made by `fn` belong to `ns`; /proc/sys/net read or written by `fn`
    is that of `ns` (through /proc/thread-self). The calling thread and the rest
    of the process stay where they are.
    """
    fd = _open(ns)

    def body() -> T:
        try:
            _check(_libc.setns(fd, CLONE_NEWNET), "setns", ns)
        finally:
            os.close(fd)
        return fn(*args, **kwargs)

    return _in_thread(body)


def sysctl_path(key: str) -> str:
    """The /proc file of sysctl `key`; inside `run_in` it is the namespace's own."""
    return "/proc/sys/" + key.replace(".", "/")


def netlink_socket(ns: str, proto: int = NETLINK_ROUTE) -> socket.socket:
    """A netlink socket that lives in namespace `ns` for its whole life."""
    return run_in(ns, socket.socket, socket.AF_NETLINK, socket.SOCK_DGRAM, proto)


def rtnl(ns: str) -> Rtnl:
    """A fast rtnetlink client (agent.rtnl) bound to namespace `ns`; usable from any thread."""
    return Rtnl(netlink_socket(ns))


def handle(ns: str) -> IPRoute:
    """An IPRoute talking to namespace `ns` and to no other.

    Use it from the thread that made it: pyroute2 raises RuntimeError when a
    handle built on a given socket is used from another thread.
    """
    return IPRoute(use_socket=netlink_socket(ns))


def _share_run_dir() -> None:
    """Make /run/netns a shared mount, as `ip netns add` does, once per mount namespace."""
    key = (os.stat("/proc/self/ns/mnt").st_ino, os.getpid())
    with _run_dir_lock:
        if key in _run_dir_ready:
            return
        RUN_NETNS.mkdir(parents=True, exist_ok=True)
        run = str(RUN_NETNS).encode()
        if _libc.mount(b"none", run, None, _MS_SHARED | _MS_REC, None) != 0:
            _check(_libc.mount(run, run, b"none", _MS_BIND | _MS_REC, None), "bind /run/netns", "")
            _check(_libc.mount(b"none", run, None, _MS_SHARED | _MS_REC, None), "share /run/netns", "")
        _run_dir_ready.add(key)


def create(ns: str) -> bool:
    """Create namespace `ns` (no fork). Returns False if it already existed."""
    return _create(ns, connect=False)[0]


def create_rtnl(ns: str) -> tuple[bool, Rtnl]:
    """`create`, plus an `Rtnl` of the namespace made by the same thread (saves a thread handoff)."""
    created, sock = _create(ns, connect=True)
    return created, Rtnl(sock if sock is not None else netlink_socket(ns))


def _create(ns: str, connect: bool) -> tuple[bool, socket.socket | None]:
    path = ns_path(ns)
    if ns == MACHINE:
        raise NamespaceError(errno.EINVAL, "the machine namespace cannot be created")
    _share_run_dir()
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        deadline = time.monotonic() + HALF_MADE_GRACE
        while not exists(ns) and time.monotonic() < deadline:
            time.sleep(0.01)  # maybe another process is between its open and its mount
        if exists(ns):
            return False, None
        os.unlink(path)  # the mount point of a create that died before binding: take it over
        return _create(ns, connect)

    def body() -> socket.socket | None:
        _check(_libc.unshare(CLONE_NEWNET), "unshare", ns)
        _check(_libc.mount(b"/proc/thread-self/ns/net", path.encode(), b"none", _MS_BIND, None), "bind", ns)
        return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE) if connect else None

    try:
        return True, _in_thread(body)
    except BaseException:
        if not os.path.ismount(path):
            os.unlink(path)
        raise


def remove(ns: str) -> bool:
    """Remove namespace `ns` (its links go with it). Returns False if it did not exist."""
    path = ns_path(ns)
    if ns == MACHINE:
        raise NamespaceError(errno.EINVAL, "the machine namespace cannot be removed")
    if not os.path.exists(path):
        return False
    if _libc.umount2(path.encode(), _MNT_DETACH) != 0 and ctypes.get_errno() != errno.EINVAL:
        _check(-1, "umount", ns)
    os.unlink(path)
    return True
