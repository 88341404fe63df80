"""The docker and Compose exports read back into one shape, to check against the design without a
Docker engine: per host, the networks Docker is asked to create and each endpoint's addresses."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from ruamel.yaml import YAML


@dataclass
class DockerNetwork:
    parent: str
    mode: str
    subnets: list[str]
    gateways: list[str]
    aux: list[str]


@dataclass
class HostExport:
    networks: dict[str, DockerNetwork] = field(default_factory=dict)
    endpoints: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # endpoint -> network -> ips


def up_commands(script: str) -> dict[str, list[list[str]]]:
    """Each host's `up` commands of a script, as the shell splits them (comments left out)."""
    out: dict[str, list[list[str]]] = {}
    current = None
    for line in script.splitlines():
        text = line.strip()
        if not line.startswith(" ") and line.endswith(")"):
            current = out.setdefault(text.removesuffix(":up)"), []) if text.endswith(":up)") else None
        elif current is not None and text and not text.startswith("#") and text != ";;":
            current.append(shlex.split(text))
    return out


def read_docker(script: str) -> dict[str, HostExport]:
    hosts = {}
    for host, commands in up_commands(script).items():
        found = hosts[host] = HostExport()
        for cmd in commands:
            if cmd[:3] == ["docker", "network", "create"]:
                opts = dict(o.split("=", 1) for o in _values(cmd, "-o"))
                found.networks[cmd[-1]] = DockerNetwork(
                    opts["parent"],
                    opts["macvlan_mode"],
                    _values(cmd, "--subnet"),
                    _values(cmd, "--gateway"),
                    [a.split("=", 1)[1] for a in _values(cmd, "--aux-address")],
                )
            elif cmd[:2] == ["docker", "run"]:
                network = _values(cmd, "--network")[0]
                legs = found.endpoints.setdefault(_values(cmd, "--name")[0], {})
                legs[network] = set(_values(cmd, "--ip") + _values(cmd, "--ip6"))
            elif cmd[:3] == ["docker", "network", "connect"]:
                legs = found.endpoints.setdefault(cmd[-1], {})
                legs[cmd[-2]] = set(_values(cmd, "--ip") + _values(cmd, "--ip6"))
    return hosts


def read_compose(text: str) -> HostExport:
    data = YAML(typ="safe", pure=True).load(text)
    found = HostExport()
    for name, net in (data.get("networks") or {}).items():
        config = net["ipam"]["config"]
        found.networks[name] = DockerNetwork(
            net["driver_opts"]["parent"],
            net["driver_opts"]["macvlan_mode"],
            [c["subnet"] for c in config],
            [c["gateway"] for c in config if "gateway" in c],
            [a for c in config for a in (c.get("aux_addresses") or {}).values()],
        )
    for name, service in (data.get("services") or {}).items():
        found.endpoints[name] = {
            network: {leg[k] for k in ("ipv4_address", "ipv6_address") if k in leg}
            for network, leg in service["networks"].items()
        }
    return found


def _values(cmd: list[str], flag: str) -> list[str]:
    return [cmd[i + 1] for i, word in enumerate(cmd[:-1]) if word == flag]
