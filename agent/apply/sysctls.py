"""Step "sysctls": forwarding in each namespace of the plan and the sysctls it lists; on a machine,
the value each had before mvlab set it is kept in the machine state and put back when no host holds
it any more. Also the functions that read and write sysctls inside a namespace (via `netns.run_in`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent import netns
from agent.apply.retry import retry
from agent.machine_state import MachineState

if TYPE_CHECKING:
    from agent.apply.session import Session
    from agent.apply.target import ApplyReport

FORWARDING_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")


def sync_sysctls(s: Session) -> None:
    wanted: dict[str, dict[str, str]] = {}
    for ns in s.plan.namespaces:
        # a container namespace is the deployment's: one that stopped routing stops forwarding
        # (a fresh one starts at the kernel's 0 anyway)
        if ns.forwarding or not s.space(ns.name).fresh:
            value = "1" if ns.forwarding else "0"
            wanted[s.kernel_ns(ns.name)] = dict.fromkeys(FORWARDING_SYSCTLS, value)
    for sysctl in s.plan.sysctls:
        wanted.setdefault(s.kernel_ns(sysctl.namespace), {})[sysctl.key] = sysctl.value
    if s.target.on_machine:
        keep_machine_sysctls(s, wanted.get(s.target.host_ns, {}))
    for kernel_name, values in sorted(wanted.items()):
        known = s.spaces[kernel_name].sysctls
        if all(known.get(key) == value for key, value in values.items()):
            continue
        changed = s.call(f"sysctls in {kernel_name}", netns.run_in, kernel_name, write_sysctls, values)
        for key in changed:
            s.report.note("changed", f"sysctl {key}={values[key]} in {kernel_name}")


def keep_machine_sysctls(s: Session, values: dict[str, str]) -> None:
    """Hold the machine's sysctls this plan sets, keeping the value each had before mvlab first
    set it; let go of those it no longer sets (back to that value when no other host holds them)."""
    host = s.target.host_ns
    with MachineState.edit(host) as state:
        held = state.held(s.ns_mark)
        new = [key for key in values if key not in held]
        if new:
            state.hold(s.ns_mark, s.call(f"sysctls in {host}", netns.run_in, host, read_sysctls, new))
        back = state.release(s.ns_mark, [key for key in held if key not in values])
        restore_sysctls(back, host, s.report)


def read_sysctls(keys) -> dict[str, str]:
    """Inside a namespace: the value of each sysctl."""
    values = {}
    for key in keys:
        with open(netns.sysctl_path(key)) as f:
            values[key] = f.read().strip()
    return values


def restore_sysctls(values: dict[str, str], ns: str, report: ApplyReport) -> None:
    """Put sysctls of the machine's namespace back to the values they had before mvlab set them."""
    if not values:
        return
    changed = retry(f"sysctls in {ns}", report.host, netns.run_in, ns, write_sysctls, values)
    for key in changed:
        report.note("changed", f"sysctl {key} back to {values[key]} in {ns}")


def write_sysctls(values: dict[str, str]) -> list[str]:
    """Inside a namespace: set each sysctl that differs; return the keys changed."""
    changed = []
    for key, value in sorted(values.items()):
        path = netns.sysctl_path(key)
        with open(path) as f:
            if f.read().strip() == value:
                continue
        with open(path, "w") as f:
            f.write(value)
        changed.append(key)
    return changed
