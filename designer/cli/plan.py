"""`lab plan FILE [--json] [--deployment ID]`: the host plans a deploy would send, and the sandbox fabric.

`--json` prints `{"deployment": ID, "plans": {host: HostPlan}, "fabric": SandboxFabric}`
(the plans nested under `plans`, so a host may be called anything, `fabric` too);
without it, a summary of what each host must hold.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from contract.plan import DEPLOYMENT_RE, HOST_NS, HostPlan, SandboxFabric
from designer.cli.common import load_allocated

DEFAULT_DEPLOYMENT = "plan"


def deployment_id(value: str) -> str:
    if not DEPLOYMENT_RE.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a deployment id: 1-12 lowercase letters or digits"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")
    parser.add_argument(
        "--json", action="store_true", help="print the plans and the fabric as one JSON object"
    )
    parser.add_argument(
        "--deployment",
        type=deployment_id,
        default=DEFAULT_DEPLOYMENT,
        help=f"the deployment id the plans are made for (default: {DEFAULT_DEPLOYMENT})",
    )


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    compiled = load_allocated(args.file, stderr)
    if compiled is None:
        return 1
    plans = compiled.plans(args.deployment)
    fabric = compiled.fabric(args.deployment)
    if args.json:
        document = {
            "deployment": args.deployment,
            "plans": {host: plan.model_dump(mode="json") for host, plan in plans.items()},
            "fabric": fabric.model_dump(mode="json"),
        }
        stdout.write(json.dumps(document) + "\n")
    else:
        stdout.write("\n".join([*(summary(plan) for plan in plans.values()), fabric_summary(fabric)]))
    return 0


def summary(plan: HostPlan) -> str:
    """What one host must hold, one line per thing, in the order the agent makes them."""

    def where(namespace: str) -> str:
        return "host" if namespace == HOST_NS else namespace

    lines = [f"host {plan.host} (deployment {plan.deployment}): NICs {', '.join(plan.nics) or 'none'}"]
    lines += [f"  namespace {ns.name}{' (forwarding)' if ns.forwarding else ''}" for ns in plan.namespaces]
    for link in plan.links:
        if link.kind == "vlan":
            lines.append(f"  vlan {link.name} on {link.parent} id {link.vid}")
        else:
            addresses = " ".join(link.addresses) or "no address"
            name = f"{where(link.namespace)}:{link.name}"
            lines.append(f"  macvlan {name} on {link.parent} mode {link.mode} {link.mac} {addresses}")
    lines += [f"  address {a.address} on {a.link}" for a in plan.host_addresses]
    for route in plan.routes:
        target = f"via {route.via}" if route.via else f"dev {route.dev}"
        lines.append(f"  route {where(route.namespace)}: {route.dst} {target}")
    lines += [f"  sysctl {where(s.namespace)}: {s.key}={s.value}" for s in plan.sysctls]
    lines += [f"  masquerade {m.namespace}: {m.source} out of {m.out_link}" for m in plan.masquerade]
    answering = sum(p.expected for p in plan.probes)
    lines.append(f"  {len(plan.probes)} probes, {answering} expected to answer")
    return "\n".join(lines) + "\n"


def fabric_summary(fabric: SandboxFabric) -> str:
    """The wires a sandbox would emulate."""
    lines = [f"fabric (sandbox wires): hosts {', '.join(fabric.hosts)}"]
    for segment in fabric.segments:
        ports = " ".join(f"{p.host}.{p.nic}" for p in segment.ports) or "no ports"
        vlans = ",".join(map(str, segment.vlans)) or "none"
        lines.append(
            f"  segment {segment.name}: {ports}; vlans {vlans}{'; hairpin' if segment.hairpin else ''}"
        )
    return "\n".join(lines) + "\n"
