"""A lab agent started as root gives root up once its rootless helper runs.

Root is needed only to fork the helper as an unprivileged user (agent.rootless); the worker then
needs no privilege at all: it talks to Redis, reads the helper's /proc/<pid>/root (the helper is
that same user's) and runs the helper's calls over a pipe. So it becomes that user too, with no
supplementary groups, before Celery starts any thread. It cannot when that user could not read
the code it still imports (Celery imports modules lazily, while it runs): every directory Python
imports from is checked first, in a child that becomes the user. When one is unreadable (e.g. an
interpreter under /root, mode 0700) the worker stays root and says which directory kept it so.
"""

from __future__ import annotations

import os
import pwd
import sys


def import_dirs() -> list[str]:
    """The directories Python imports from (the working directory for '')."""
    return [path or os.getcwd() for path in sys.path if os.path.isdir(path or os.getcwd())]


def _become(uid: int) -> None:
    gid = pwd.getpwuid(uid).pw_gid
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def unreadable_for(uid: int, paths: list[str]) -> str | None:
    """The first of `paths` user `uid` cannot list, tried in a child that becomes that user."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child only makes system calls, then leaves without running any Python cleanup
        status = 0
        try:
            os.close(read)
            _become(uid)
            for path in paths:
                try:
                    os.listdir(path)
                except OSError:
                    os.write(write, path.encode())
                    break
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        found = answer.read().decode()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return f"(the check as uid {uid} failed)"
    return found or None


def drop_to(uid: int) -> str | None:
    """Become user `uid` when it can still run this process's code; None when done, else why not."""
    unreadable = unreadable_for(uid, import_dirs())
    if unreadable is not None:
        name = pwd.getpwuid(uid).pw_name
        return f"stays root: user {name} cannot read {unreadable}, which Python imports from"
    _become(uid)
    return None
