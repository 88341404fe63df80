"""The `ip` and `docker` exports, read back as the commands a person would run."""

from __future__ import annotations

import shlex
import subprocess

from designer.topology.exports import to_docker, to_shell
from designer.topology.ipam import allocate
from tests.topology.factory import ROUTER, TWO_VLANS, make_design
from tests.topology.scenarios import router_design, with_ipv6


def sections(script: str) -> dict[str, list[list[str]]]:
    """Each host's `up` commands, split into words the way the shell will, comments, the call of
    its `down` and case syntax left out."""
    out: dict[str, list[list[str]]] = {}
    current = None
    for line in script.splitlines():
        text = line.strip()
        if line.endswith(":up)") and not line.startswith(" "):
            current = out.setdefault(text.removesuffix(":up)"), [])
        elif line.endswith(")") and not line.startswith(" "):
            current = None
        elif current is not None and text.startswith("down_"):
            continue
        elif current is not None and text and not text.startswith("#") and text != ";;":
            current.append(shlex.split(text))
    return out


def export(kind, parts: dict) -> str:
    design = make_design(**parts)
    return kind(design, allocate(design))


def test_the_shell_export_is_valid_posix_shell_with_one_commented_section_per_host():
    script = export(to_shell, TWO_VLANS)
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    assert set(sections(script)) == {"host1", "host2", "host3"}
    assert "# ---- host host1: container d1, container d2 ----" in script
    assert "# ---- host host3: no namespaces ----" in script


def test_the_shell_export_makes_vlans_namespaces_and_moved_macvlans_like_the_tutorials():
    host1 = sections(export(to_shell, TWO_VLANS))["host1"]
    assert ["ip", "link", "add", "link", "enp0s8", "name", "enp0s8.100", "type", "vlan", "id", "100"] in host1
    assert ["ip", "netns", "add", "d1"] in host1
    add = host1.index(
        [
            "ip",
            "link",
            "add",
            "link",
            "enp0s8.100",
            "name",
            "mvtmp0",
            "address",
            "02:42:ac:10:0a:0a",
            "type",
            "macvlan",
            "mode",
            "bridge",
        ]
    )
    assert host1[add + 1 : add + 6] == [
        ["ip", "link", "set", "mvtmp0", "netns", "d1"],
        ["ip", "-n", "d1", "link", "set", "mvtmp0", "name", "eth0"],
        ["ip", "-n", "d1", "addr", "add", "172.16.10.10/24", "dev", "eth0"],
        ["ip", "-n", "d1", "link", "set", "eth0", "up"],
        ["ip", "-n", "d1", "route", "add", "default", "via", "172.16.10.1"],
    ]
    assert ["ip", "addr", "add", "172.16.10.250/32", "dev", "mvs-mac10"] in host1
    assert ["ip", "route", "add", "172.16.10.0/25", "dev", "mvs-mac10"] in host1


def test_the_shell_export_sets_host_addresses_and_forwarding():
    host3 = sections(export(to_shell, TWO_VLANS))["host3"]
    assert ["ip", "addr", "add", "172.16.10.1/24", "dev", "enp0s8.100"] in host3
    assert ["sysctl", "-w", "net.ipv4.ip_forward=1"] in host3
    assert not any(cmd[:3] == ["ip", "netns", "add"] for cmd in host3)


def test_router_forwarding_and_masquerade_are_set_inside_its_namespace():
    host1 = sections(export(to_shell, ROUTER))["host1"]
    assert ["ip", "netns", "exec", "r1", "sysctl", "-w", "net.ipv4.ip_forward=1"] in host1
    assert [
        "ip",
        "netns",
        "exec",
        "r1",
        "nft",
        "add",
        "chain",
        "ip",
        "mvlab",
        "postrouting",
        "{ type nat hook postrouting priority 100 ; }",
    ] in host1
    assert [
        "ip",
        "netns",
        "exec",
        "r1",
        "nft",
        "add",
        "rule",
        "ip",
        "mvlab",
        "postrouting",
        "oifname",
        "eth1",
        "ip",
        "saddr",
        "10.1.0.0/24",
        "masquerade",
    ] in host1


def test_the_docker_export_creates_each_network_on_every_host_that_uses_it():
    script = export(to_docker, TWO_VLANS)
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    per_host = sections(script)
    create_mac10 = [
        "docker",
        "network",
        "create",
        "-d",
        "macvlan",
        "--subnet",
        "172.16.10.0/24",
        "--gateway",
        "172.16.10.1",
        "--ip-range",
        "172.16.10.0/25",
        "-o",
        "parent=enp0s8.100",
        "-o",
        "macvlan_mode=bridge",
        "mac10",
    ]
    assert create_mac10 in per_host["host1"] and create_mac10 in per_host["host2"]
    assert not any(cmd[:2] == ["docker", "network"] for cmd in per_host["host3"])
    run_d4 = next(cmd for cmd in per_host["host2"] if cmd[:5] == ["docker", "run", "-d", "--name", "d4"])
    assert run_d4[5:11] == [
        "--network",
        "mac20",
        "--ip",
        "172.16.20.11",
        "--mac-address",
        "02:00:00:00:20:0b",
    ]


def test_the_docker_export_connects_extra_legs_and_fixes_the_default_route():
    per_host = sections(export(to_docker, ROUTER))["host1"]
    assert ["docker", "network", "connect", "--ip", "10.2.0.1", "uplink", "r1"] in per_host
    assert ["docker", "exec", "client", "ip", "route", "replace", "default", "via", "10.1.0.1"] in per_host
    assert ["docker", "exec", "server", "ip", "-4", "route", "flush", "exact", "0.0.0.0/0"] in per_host


def test_the_docker_export_fixes_each_familys_default_route_apart():
    """server's `default via` an IPv6 address is its IPv6 default, so Docker's invented IPv4 default
    must still go; r1 holds both gateways, so both of Docker's defaults go."""
    parts = with_ipv6(router_design(None), uplink_gateway=True)
    parts["containers"]["server"]["routes"] = [{"to": "default", "via": "fd00:2::1"}]
    per_host = sections(export(to_docker, parts))["host1"]
    assert [cmd[2:] for cmd in per_host if cmd[:2] == ["docker", "exec"] and cmd[2] != "client"] == [
        ["server", "ip", "-4", "route", "flush", "exact", "0.0.0.0/0"],
        ["server", "ip", "route", "replace", "default", "via", "fd00:2::1"],
        ["r1", "ip", "-4", "route", "flush", "exact", "0.0.0.0/0"],
        ["r1", "ip", "-6", "route", "flush", "exact", "::/0"],
    ]


def test_the_docker_export_tells_docker_a_free_gateway_when_a_router_holds_the_reserved_one():
    script = export(to_docker, ROUTER)
    assert "r1 holds 10.1.0.1 on inside, so Docker is told 10.1.0.254 (unused in the design)" in script
    create = next(c for c in sections(script)["host1"] if c[:3] == ["docker", "network", "create"])
    assert create[create.index("--gateway") + 1] == "10.1.0.254"


def test_the_docker_export_does_the_same_for_ipv6_gateways():
    script = export(to_docker, with_ipv6(router_design(None), uplink_gateway=True))
    assert "r1 holds fd00:2::1 on uplink, so Docker is told fd00:2::ffff:ffff:ffff:ffff" in script
    assert "--ipv6 --subnet fd00:2::/64 --gateway fd00:2::ffff:ffff:ffff:ffff" in script
