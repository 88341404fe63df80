"""Helpers for kernel tests that build sandboxes: unique deployments, reachability, kernel state."""

from __future__ import annotations

import secrets
from contextlib import contextmanager

from agent import netns
from agent.probe import probe_hosts
from agent.sandbox import sandbox_down
from contract.plan import HOST_NS, Probe, netns_name


def new_deployment() -> str:
    return "t" + secrets.token_hex(5)


@contextmanager
def deployment_id():
    """A fresh deployment id whose namespaces are all removed afterwards, whatever happened."""
    dep = new_deployment()
    try:
        yield dep
    finally:
        sandbox_down(dep)
        assert netns.list_namespaces(netns_name(dep, "")) == []


def reachable(namespace: str, *addresses: str, timeout: float = 1.5) -> dict[str, bool]:
    """Which of `addresses` answer an ICMP echo sent from kernel namespace `namespace`."""
    jobs = [
        (namespace, Probe(src="t", namespace=HOST_NS, dst="t", dst_ip=a, expected=True)) for a in addresses
    ]
    events = probe_hosts({"t": jobs}, "t", lambda e: None, timeout=timeout, tries=3)["t"]
    return {a: e.observed for a, e in zip(addresses, events, strict=True)}


def links(ns: str) -> dict[str, dict]:
    """name -> {alias, kind, up, addresses} of every link in kernel namespace `ns`."""
    ipr = netns.handle(ns)
    try:
        result = {}
        for link in ipr.get_links():
            info = link.get_attr("IFLA_LINKINFO")
            addresses = sorted(
                f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in ipr.get_addr(index=link["index"])
                if not str(a.get_attr("IFA_ADDRESS")).startswith("fe80")
            )
            result[link.get_attr("IFLA_IFNAME")] = {
                "alias": link.get_attr("IFLA_IFALIAS"),
                "kind": info.get_attr("IFLA_INFO_KIND") if info else None,
                "up": bool(link["flags"] & 1),
                "mac": link.get_attr("IFLA_ADDRESS"),
                "index": link["index"],
                "addresses": addresses,
            }
        return result
    finally:
        ipr.close()
