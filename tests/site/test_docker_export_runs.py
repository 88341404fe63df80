"""The docker and Compose exports run for real, on a real Docker engine (Debian's docker.io 20.10)
per host, for the two examples with a routing host: the 802.1Q tutorial lab (the host `gw` routes
between the VLANs) and router-namespace (the router container r1 routes and masquerades).

Each host that runs containers gets a network namespace with its own dockerd (`tests.dockerd`),
its NICs veths into a bridge per wire in a wire namespace. Each export runs there as a user would
run it on each machine: the docker script's `up`, or the host's Compose file with the command its
header gives (by Debian's docker-compose 1.29: Compose v2 is no Debian package here), twice (the
second run rebuilds or finds all up to date). Every endpoint pings every address as the design
predicts: reached with the TTL it predicts (63: through a router), or blocked. Then `down`, twice,
leaves no container, no network, and the host's links as they were.

This kernel has no 802.1Q module, so the tutorial's trunk is emulated one level up: each host's
`enp0s8.100` and `enp0s8.200` (which Docker would otherwise create on the trunk NIC `enp0s8`) are
veths made beforehand, joined per VLAN by a bridge; Docker uses a parent that exists and leaves
it on `docker network rm`. For the same reason `gw` is not run from the export (its section makes
VLAN links): the test gives its namespace what that section makes, the gateway addresses and
forwarding.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from designer.topology.compose import to_compose
from designer.topology.exports import to_docker
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from designer.topology.yamlio import load_design
from tests import dockerd
from tests.site.conftest import example

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(not dockerd.installed(), reason="Debian's docker.io is not installed (bin/setup)"),
]


@dataclass(frozen=True)
class Case:
    example: str
    wires: dict[str, dict[str, str]]  # host -> NIC -> the wire (bridge) it is plugged into
    engines: tuple[str, ...]  # the hosts that run containers
    built: dict[str, set[str]]  # host -> its containers
    own: dict[str, list[str]]  # host -> what the test gives it (`ip` arguments), as its export would


TRUNK = {"enp0s8": "trunk", "enp0s8.100": "vlan100", "enp0s8.200": "vlan200"}
CASES = {
    "8021q": Case(
        "docker-8021q-trunk",
        {"host1": TRUNK, "host2": TRUNK, "gw": TRUNK},
        ("host1", "host2"),
        {"host1": {"c1", "c2"}, "host2": {"c3", "c4"}},
        {"gw": ["addr add 172.16.100.1/24 dev enp0s8.100", "addr add 172.16.200.1/24 dev enp0s8.200"]},
    ),
    "router": Case(
        "router-namespace",
        {"host1": {"eth1": "lan1", "eth2": "lan2"}},
        ("host1",),
        {"host1": {"client", "server", "r1"}},
        {},
    ),
}


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def _firewall() -> str:
    """The machine's own iptables and nftables rules, which no engine here may touch."""
    return "".join(
        subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        for cmd in (["iptables-save"], ["ip6tables-save"], ["nft", "list", "ruleset"])
    )


class Lab:
    """The wire namespace with one bridge per wire, and a namespace per host plugged into them."""

    def __init__(self, tag: str, case: Case):
        self.case = case
        self.wire = f"{tag}-wire"
        self.hosts = {host: f"{tag}-{host}" for host in case.wires}
        self.made: list[str] = []

    def build(self) -> None:
        for ns in (self.wire, *self.hosts.values()):
            _ip("netns", "add", ns)
            self.made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for bridge in sorted({b for nics in self.case.wires.values() for b in nics.values()}):
            _ip("-n", self.wire, "link", "add", bridge, "type", "bridge")
            _ip("-n", self.wire, "link", "set", bridge, "up")
        for n, (host, nics) in enumerate(self.case.wires.items()):
            ns = self.hosts[host]
            for m, (nic, bridge) in enumerate(nics.items()):
                port = f"p{n}-{m}"
                _ip("-n", self.wire, "link", "add", port, "type", "veth", "peer", "name", nic, "netns", ns)
                _ip("-n", self.wire, "link", "set", port, "master", bridge, "up")
                _ip("-n", ns, "link", "set", nic, "up")
        for host, commands in self.case.own.items():
            for command in commands:
                _ip("-n", self.hosts[host], *command.split())
            forwarding = ["sysctl", "-qw", "net.ipv4.ip_forward=1"]
            subprocess.run(["ip", "netns", "exec", self.hosts[host], *forwarding], check=True)

    def links(self, host: str) -> set[str]:
        listed = _ip("-n", self.hosts[host], "-o", "link").splitlines()
        return {line.split(": ")[1].split("@")[0] for line in listed}

    def remove(self) -> None:
        for ns in reversed(self.made):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                subprocess.run(["kill", "-9", pid], check=False)
            subprocess.run(["ip", "netns", "del", ns], check=False)


@pytest.fixture
def lab(request) -> Iterator[tuple[Lab, dict[str, dockerd.Dockerd]]]:
    firewall = _firewall()
    wired = Lab(f"mvd{os.getpid() % 100000}", CASES[request.param])
    engines: dict[str, dockerd.Dockerd] = {}
    try:
        wired.build()
        for host in wired.case.engines:
            engines[host] = dockerd.Dockerd(wired.hosts[host])
            engines[host].start()
        yield wired, engines
    finally:
        for engine in engines.values():
            engine.stop()
        wired.remove()
    assert _firewall() == firewall, "an engine changed the machine's own firewall rules"
    assert not set(_ip("netns", "list").split()) & {wired.wire, *wired.hosts.values()}


def _ping(lab: Lab, engines: dict[str, dockerd.Dockerd], design, src: str, ip: str) -> int | None:
    """The TTL of the answer to one ping from `src` (an endpoint, or a host's own namespace), or None."""
    endpoint = design.containers.get(src) or design.routers.get(src)
    if endpoint is not None:
        done = engines[endpoint.host].docker("exec", src, "ping", "-c1", "-W2", ip, check=False)
    else:
        cmd = ["ip", "netns", "exec", lab.hosts[src], "ping", "-c1", "-W2", ip]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = re.search(r"ttl=(\d+)", done.stdout)
    return int(found.group(1)) if found else None


def _containers(engine: dockerd.Dockerd) -> set[str]:
    return set(engine.docker("ps", "-a", "--format", "{{.Names}}").stdout.split())


def _networks(engine: dockerd.Dockerd) -> set[str]:
    """The engine's networks, less the project prefix Compose gives them (`project_mac100`)."""
    listed = engine.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    return {name.rpartition("_")[2] for name in listed}


Commands = dict[str, dict[str, list[str]]]  # host -> up/down -> the command a user runs there


def _docker_commands(tmp_path: Path, design, allocation, hosts) -> Commands:
    """The docker script's, as its header says."""
    script = tmp_path / "design-docker.sh"
    script.write_text(to_docker(design, allocation))
    return {host: {step: ["sh", str(script), host, step] for step in ("up", "down")} for host in hosts}


def _compose_commands(tmp_path: Path, design, allocation, hosts) -> Commands:
    """Each host's Compose file's, as its header says, run by Debian's Compose 1.29: without a leg's
    own `mac_address` (a further leg's, per network), which the header says Compose 1.x refuses."""
    out = {}
    for host in hosts:
        path = tmp_path / f"{host}.compose.yaml"
        text = to_compose(design, allocation, host)
        if "(Compose 1.x refuses the file; without the line Docker picks one)" in text:
            text = re.sub(r"^ {8}mac_address: .*\n", "", text, flags=re.M)
        path.write_text(text)
        told = re.search(r"^# .*: docker compose (.*) up -d$", path.read_text(), re.M)
        assert told, "the header tells how to run the file"
        base = ["docker-compose", *shlex.split(told.group(1).replace("THIS_FILE", str(path)))]
        out[host] = {"up": [*base, "up", "-d"], "down": [*base, "down"]}
    return out


@pytest.mark.parametrize(
    ("lab", "commands"),
    [
        pytest.param("8021q", _docker_commands, id="8021q-docker"),
        pytest.param("8021q", _compose_commands, id="8021q-compose"),
        pytest.param("router", _docker_commands, id="router-docker"),
        pytest.param("router", _compose_commands, id="router-compose"),
    ],
    indirect=["lab"],
)
def test_the_export_runs_on_each_host_twice_pings_as_predicted_and_goes_down(
    lab, tmp_path, commands: Callable[..., Commands]
):
    wired, engines = lab
    design = load_design(example(wired.case.example)).design
    allocation = allocate(design)
    run = commands(tmp_path, design, allocation, engines)
    links_before = {host: wired.links(host) for host in engines}
    networks = set(design.networks)

    for attempt in ("first", "second"):
        for host, engine in engines.items():
            done = engine.run(*run[host]["up"])
            assert done.returncode == 0, f"{attempt} up on {host}: {done.stderr}"
            assert _containers(engine) == wired.case.built[host]
            assert networks <= _networks(engine)

    pairs = predict(design, allocation).pairs
    assert pairs and all(p.src not in engines for p in pairs)  # hosts with containers hold no address
    seen = {(p.src, p.dst_ip): _ping(wired, engines, design, p.src, p.dst_ip) for p in pairs}
    wanted = {(p.src, p.dst_ip): p.expected_ttl if p.expected else None for p in pairs}
    assert seen == wanted

    for attempt in ("first", "second"):
        for host, engine in engines.items():
            done = engine.run(*run[host]["down"])
            assert done.returncode == 0, f"{attempt} down on {host}: {done.stderr}"
            assert not _containers(engine)
            assert not networks & _networks(engine)
            assert wired.links(host) == links_before[host]  # the parents Docker found are left
