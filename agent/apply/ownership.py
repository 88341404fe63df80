"""How mvlab recognises what is a deployment's (DESIGN.md "Safety"), for apply and teardown alike.

- a namespace is the deployment's if it is named `mvl-<deployment>-<name>`; its
  `lo` carries `mvlab:<deployment>@<host>`, so on a machine shared by several
  (sandbox) hosts each host only removes its own stale namespaces;
- a link in the host namespace is the deployment's only if its ifalias is
  exactly `mvlab:<deployment>`; a link whose ifalias merely starts with the mark
  (a sandbox's emulated NIC) may get addresses and routes but is never removed;
  a link with neither is never changed;
- routes are made with protocol `MVLAB_ROUTE_PROTO`; in the host namespace only
  those through the deployment's links are its own, and on a machine those through
  other links to an allowed prefix, recorded in `agent.machine_state` with the
  previous value of each machine sysctl it sets, so that teardown undoes them.
"""

from __future__ import annotations

from agent import netns, rtnl
from agent.machine_state import MachineState
from contract.plan import OWNER_PREFIX, netns_name, owner_mark

MVLAB_ROUTE_PROTO = 251  # unassigned in iproute2 rt_protos


def ns_mark(deployment: str, host: str) -> str:
    """The mark on `lo` of the namespaces design host `host` made, and its name in the machine state."""
    return f"{owner_mark(deployment)}@{host}"


def marked_by_mvlab(link: rtnl.LinkState) -> bool:
    """Made by mvlab for some deployment (its ifalias starts `mvlab:`)."""
    return (link.alias or "").startswith(OWNER_PREFIX)


def staging_ns(deployment: str, host: str) -> str:
    """Where host-namespace links are born and marked (a dot: never a container's name)."""
    return netns_name(deployment, f"{host}.staging")


def container_namespaces(deployment: str) -> list[str]:
    """The deployment's container/router namespaces here (sandbox host and fabric names hold a dot)."""
    prefix = netns_name(deployment, "")
    return [name for name in netns.list_namespaces(prefix) if "." not in name[len(prefix) :]]


def namespace_host_mark(name: str) -> str | None:
    """The `mvlab:<dep>@<host>` on lo of namespace `name`, or None if unmarked (half-made)."""
    with netns.rtnl(name) as rt:
        return next((link.alias for link in rt.links() if link.name == "lo"), None)


def holders(deployment: str, hosts: list[str], state: MachineState) -> list[str]:
    """Who holds what `deployment` changed in a machine's namespace for `hosts` (all of its hosts if none)."""
    if hosts:
        return [ns_mark(deployment, host) for host in hosts]
    prefix = ns_mark(deployment, "")
    return sorted(holder for holder in state.holders() if holder.startswith(prefix))
