"""What an apply is given (`Target`: where the plan's host namespace is, and what mvlab may do
there) and what it, or a teardown, returns (`ApplyReport`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from agent import netns
from contract.events import StepEvent

Emit = Callable[[StepEvent], None]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Target:
    """Where a plan's host namespace (HOST_NS) is.

    `host_ns` is a namespace name, or `netns.MACHINE` on a real host. On a real
    host `allowed_nics` lists the only links that may be parents; in a sandbox it
    is None and `emulated_vlans` says the plan's vlan links are veths the sandbox
    made. `claimed_elsewhere`: namespaces other hosts of the same sandbox hold.

    On a machine (`allowed_nics` given) the host namespace is the machine's own: a host
    route must leave through a link of the deployment or go to one of `allowed_routes`,
    is never a default route and never covers one of `protected` (the agent's broker and
    the gateway it reaches it through); what mvlab changes there is undone on teardown.
    """

    host_ns: str
    allowed_nics: frozenset[str] | None = None
    emulated_vlans: bool = False
    claimed_elsewhere: frozenset[str] = frozenset()
    allowed_routes: tuple[IPNetwork, ...] = ()
    protected: frozenset[str] = frozenset()

    @classmethod
    def machine(cls, allowed_nics, allowed_routes=(), protected=()) -> Target:
        return cls(
            host_ns=netns.MACHINE,
            allowed_nics=frozenset(allowed_nics),
            allowed_routes=tuple(allowed_routes),
            protected=frozenset(protected),
        )

    @classmethod
    def sandbox_host(cls, host_ns: str, claimed_elsewhere=frozenset()) -> Target:
        return cls(host_ns=host_ns, emulated_vlans=True, claimed_elsewhere=frozenset(claimed_elsewhere))

    @property
    def on_machine(self) -> bool:
        """The host namespace is a machine's own, not one a sandbox made for the deployment."""
        return self.allowed_nics is not None


@dataclass
class ApplyReport:
    deployment: str
    host: str
    created: int = 0
    changed: int = 0
    removed: int = 0
    actions: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.created or self.changed or self.removed)

    def note(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.actions.append(f"{kind} {what}")
