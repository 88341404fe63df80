"""The docker and Compose exports of the 802.1Q tutorial lab run for real, on a real Docker engine
(Debian's docker.io 20.10) per host.

host1 and host2 each get a network namespace with its own dockerd (`tests.dockerd`); each export
runs there as a user would run it on each machine: the docker script's `up`, or the host's Compose
file with the command its header gives (by Debian's docker-compose 1.29: Compose v2 is no Debian
package here), twice (the second run rebuilds or finds all up to date). The containers ping each
other and the routing host as the design predicts, with the TTL it predicts (63: through gw); then
`down`, twice, leaves no container and no network.

This kernel has no 802.1Q module, so the wire is emulated one level up: each host's `enp0s8.100`
and `enp0s8.200` (which Docker would otherwise create on the trunk NIC `enp0s8`) are veths made
beforehand, joined per VLAN by a bridge in a wire namespace; Docker uses a parent that exists and
leaves it in place on `docker network rm`. For the same reason the routing host `gw` is not run
from the export (its section makes VLAN links): the test gives its namespace what that section
makes, the two gateway addresses and forwarding.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
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

DOCKER_HOSTS = ("host1", "host2")
VLANS = (100, 200)


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def _firewall() -> str:
    """The machine's own iptables and nftables rules, which no engine here may touch."""
    return "".join(
        subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        for cmd in (["iptables-save"], ["ip6tables-save"], ["nft", "list", "ruleset"])
    )


class Lab:
    """The wire namespace with one bridge per VLAN, and a namespace per host plugged into it."""

    def __init__(self, tag: str):
        self.wire = f"{tag}-wire"
        self.hosts = {host: f"{tag}-{host}" for host in (*DOCKER_HOSTS, "gw")}
        self.made: list[str] = []

    def build(self) -> None:
        for ns in (self.wire, *self.hosts.values()):
            _ip("netns", "add", ns)
            self.made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for bridge in ("trunk", *(f"vlan{v}" for v in VLANS)):
            _ip("-n", self.wire, "link", "add", bridge, "type", "bridge")
            _ip("-n", self.wire, "link", "set", bridge, "up")
        for host, ns in self.hosts.items():
            for nic, bridge in (("enp0s8", "trunk"), *((f"enp0s8.{v}", f"vlan{v}") for v in VLANS)):
                port = f"{host}-{nic.rpartition('.')[2] if '.' in nic else 't'}"
                _ip("-n", self.wire, "link", "add", port, "type", "veth", "peer", "name", nic, "netns", ns)
                _ip("-n", self.wire, "link", "set", port, "master", bridge, "up")
                _ip("-n", ns, "link", "set", nic, "up")

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
def lab(tmp_path: Path) -> Iterator[tuple[Lab, dict[str, dockerd.Dockerd]]]:
    firewall = _firewall()
    wired = Lab(f"mvd{os.getpid() % 100000}")
    engines: dict[str, dockerd.Dockerd] = {}
    try:
        wired.build()
        for host in DOCKER_HOSTS:
            engines[host] = dockerd.Dockerd(wired.hosts[host], tmp_path / host)
            engines[host].start()
        yield wired, engines
    finally:
        for engine in engines.values():
            engine.stop()
        wired.remove()
    assert _firewall() == firewall, "an engine changed the machine's own firewall rules"
    assert not set(_ip("netns", "list").split()) & {wired.wire, *wired.hosts.values()}


def _ping(lab: Lab, engines: dict[str, dockerd.Dockerd], design, src: str, ip: str) -> int | None:
    """The TTL of the answer to one ping from `src` (a container, or the routing host), or None."""
    if src in design.containers:
        done = engines[design.containers[src].host].docker("exec", src, "ping", "-c1", "-W2", ip, check=False)
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


def _docker_commands(tmp_path: Path, design, allocation) -> dict[str, dict[str, list[str]]]:
    """host -> up/down -> the command a user runs there, as the docker export's header says."""
    script = tmp_path / "design-docker.sh"
    script.write_text(to_docker(design, allocation))
    return {host: {step: ["sh", str(script), host, step] for step in ("up", "down")} for host in DOCKER_HOSTS}


def _compose_commands(tmp_path: Path, design, allocation) -> dict[str, dict[str, list[str]]]:
    """The same for each host's Compose file, as its header says, run by Debian's Compose 1.29."""
    out = {}
    for host in DOCKER_HOSTS:
        path = tmp_path / f"{host}.compose.yaml"
        path.write_text(to_compose(design, allocation, host))
        told = re.search(r"^# .*: docker compose (.*) up -d$", path.read_text(), re.M)
        assert told, "the header tells how to run the file"
        base = ["docker-compose", *shlex.split(told.group(1).replace("THIS_FILE", str(path)))]
        out[host] = {"up": [*base, "up", "-d"], "down": [*base, "down"]}
    return out


@pytest.mark.parametrize("commands", [_docker_commands, _compose_commands], ids=["docker", "compose"])
def test_the_export_runs_on_each_host_twice_pings_as_predicted_and_goes_down(lab, tmp_path, commands):
    wired, engines = lab
    design = load_design(example("docker-8021q-trunk")).design
    allocation = allocate(design)
    run = commands(tmp_path, design, allocation)
    gw = wired.hosts["gw"]
    for vlan in VLANS:  # what `sh design-docker.sh gw up` makes, less the VLAN links this kernel lacks
        _ip("-n", gw, "addr", "add", f"172.16.{vlan}.1/24", "dev", f"enp0s8.{vlan}")
    subprocess.run(["ip", "netns", "exec", gw, "sysctl", "-qw", "net.ipv4.ip_forward=1"], check=True)
    links_before = {host: wired.links(host) for host in DOCKER_HOSTS}
    built = {"host1": {"c1", "c2"}, "host2": {"c3", "c4"}}

    for attempt in ("first", "second"):
        for host in DOCKER_HOSTS:
            done = engines[host].run(*run[host]["up"])
            assert done.returncode == 0, f"{attempt} up on {host}: {done.stderr}"
            assert _containers(engines[host]) == built[host]
            assert {"mac100", "mac200"} <= _networks(engines[host])

    pairs = predict(design, allocation).pairs
    assert pairs and all(p.src not in engines for p in pairs)
    seen = {(p.src, p.dst_ip): _ping(wired, engines, design, p.src, p.dst_ip) for p in pairs}
    wanted = {(p.src, p.dst_ip): p.expected_ttl if p.expected else None for p in pairs}
    assert seen == wanted

    for attempt in ("first", "second"):
        for host in DOCKER_HOSTS:
            done = engines[host].run(*run[host]["down"])
            assert done.returncode == 0, f"{attempt} down on {host}: {done.stderr}"
            assert not _containers(engines[host])
            assert not {"mac100", "mac200"} & _networks(engines[host])
            assert wired.links(host) == links_before[host]  # the parents Docker found are left
