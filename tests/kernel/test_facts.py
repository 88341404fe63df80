"""agent.facts against what `ip` (iproute2, independent of pyroute2) finds on this kernel."""

import json
import os
import secrets
import subprocess

import pytest

from agent import netns
from agent.facts import host_facts

pytestmark = pytest.mark.kernel


def ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True)


@pytest.fixture
def scratch():
    name = f"mvltest-{secrets.token_hex(4)}"
    ip("netns", "add", name)
    try:
        yield name
    finally:
        ip("netns", "del", name)


def test_link_kinds_match_what_iproute2_can_make(scratch):
    assert ip("-n", scratch, "link", "add", "v0", "type", "veth", "peer", "name", "v1").returncode == 0
    can = {
        "bridge": ip("-n", scratch, "link", "add", "b0", "type", "bridge").returncode == 0,
        "macvlan": ip("-n", scratch, "link", "add", "link", "v0", "name", "m0", "type", "macvlan").returncode
        == 0,
        "vlan_8021q": ip(
            "-n", scratch, "link", "add", "link", "v0", "name", "v0.5", "type", "vlan", "id", "5"
        ).returncode
        == 0,
        "ipvlan": ip("-n", scratch, "link", "add", "link", "v0", "name", "i0", "type", "ipvlan").returncode
        == 0,
    }
    facts = host_facts("agent-1", [], ns=scratch)
    assert facts.agent == "agent-1" and facts.kernel == os.uname().release and facts.veth
    assert {kind: getattr(facts, kind) for kind in can} == can
    assert not list(netns.list_namespaces("mvl-facts-"))


def test_nics_report_state_mac_promiscuity_and_addresses(scratch):
    ip("-n", scratch, "link", "add", "nic0", "type", "veth", "peer", "name", "nic1")
    ip("-n", scratch, "addr", "add", "10.3.0.1/24", "dev", "nic0")
    ip("-n", scratch, "link", "set", "nic0", "promisc", "on", "up")
    facts = host_facts("agent-1", ["nic0", "nic1", "absent0"], ns=scratch)
    shown = {link["ifname"]: link for link in json.loads(ip("-n", scratch, "-j", "addr", "show").stdout)}
    nic0, nic1, absent = facts.nics
    assert (nic0.name, nic0.mac, nic0.promiscuous) == ("nic0", shown["nic0"]["address"], True)
    assert "10.3.0.1/24" in nic0.addresses and nic0.state == shown["nic0"]["operstate"].lower()
    assert (nic1.promiscuous, nic1.state, nic1.addresses) == (False, "down", ())
    assert absent.state == "missing" and absent.mac is None
