"""While mvlab probes, the kernel's resolution of a next hop nobody answered fails at once.

`agent.neighbours` resolves every next hop the probes need before they start. One that did
not answer within the deadline would fail the kernel's own resolution too (ARP or NDP), but
only after queueing packets behind an INCOMPLETE entry for about 3 s: a forwarded echo
reply stuck there holds the kernel's one ICMP socket per CPU, and every namespace's live
pairs time out meanwhile (tests/kernel/test_probe_at_scale.py). So, for the probe's duration
and only on the links of mvlab's own namespaces that have such a next hop, the link's
neighbour parameters `mcast_solicit` and `app_solicit` are 0: the kernel then starts no
resolution at all (`__neigh_event_send` needs their sum above 0), marks the entry FAILED
and drops the packet, which is what a failed resolution does, with no request sent, no
packet queued and one FAILED entry per such next hop used. Every other next hop of those
links is pinned (`agent.neighbours`), so nothing else resolves there meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterator

from agent import netns

PARAMS = ("mcast_solicit", "app_solicit")
FAIL_AT_ONCE = "0"

Link = tuple[str, int]  # (link name, address family)


def _path(link: Link, param: str) -> str:
    name, family = link
    return f"/proc/sys/net/{'ipv6' if family == socket.AF_INET6 else 'ipv4'}/neigh/{name}/{param}"


def _swap(values: dict[tuple[Link, str], str]) -> dict[tuple[Link, str], str]:
    """Inside a namespace: write each value, return what each was before (links gone are skipped)."""
    before = {}
    for (link, param), value in values.items():
        try:
            with open(_path(link, param), "r+") as f:
                before[(link, param)] = f.read().strip()
                f.seek(0)
                f.write(value)
        except FileNotFoundError:
            continue
    return before


@contextlib.contextmanager
def failing_at_once(links: dict[str, set[Link]]) -> Iterator[None]:
    """Make resolution fail at once on `links` (namespace -> {(link name, family)}); restore on exit."""
    changed: dict[str, dict[tuple[Link, str], str]] = {}
    try:
        for ns, wanted in sorted(links.items()):
            values = {(link, param): FAIL_AT_ONCE for link in sorted(wanted) for param in PARAMS}
            changed[ns] = netns.run_in(ns, _swap, values)
        yield
    finally:
        failed: OSError | None = None
        for ns, before in changed.items():  # every namespace, whatever one of them says
            try:
                netns.run_in(ns, _swap, before)
            except OSError as err:  # ENOENT, EINVAL: the namespace went first, nothing to restore
                if err.errno not in (errno.ENOENT, errno.EINVAL):
                    failed = failed or err
        if failed is not None:
            raise failed
