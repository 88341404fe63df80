"""agent.rtnl, the packed-struct netlink client, checked against iproute2 (`ip -j`) in a scratch namespace."""

import json
import secrets
import subprocess

import pytest

from agent import netns, rtnl

pytestmark = pytest.mark.kernel


def ip_json(ns: str, *args: str) -> list[dict]:
    return json.loads(
        subprocess.run(["ip", "-n", ns, "-j", *args], check=True, capture_output=True, text=True).stdout
        or "[]"
    )


@pytest.fixture
def scratch():
    name = f"mvltest-{secrets.token_hex(4)}"
    netns.create(name)
    try:
        with netns.rtnl(name) as rt:
            yield name, rt
    finally:
        netns.remove(name)


def test_requests_made_here_read_back_the_same_through_iproute2(scratch):
    name, rt = scratch
    rt.do(
        rtnl.link_add("p0", "veth", peer=("p1", None), up=True),
        rtnl.link_set(name="p0", alias="mvlab:x"),
        rtnl.link_add("br0", "bridge", up=True),
    )
    index = {link.name: link.index for link in rt.links()}
    rt.do(
        rtnl.link_add("m0", "macvlan", parent=index["p0"], mac="02:00:00:00:00:09", macvlan_mode="private"),
        rtnl.link_set(index=index["p1"], master=index["br0"], up=True, promisc=True),
        rtnl.bridge_port_set(index["p1"], hairpin=True),
        rtnl.addr(True, index["p0"], "10.6.0.1/24"),
        rtnl.addr(True, index["p0"], "fd00:6::1/64"),
        rtnl.route(True, "10.7.0.0/16", gateway="10.6.0.254", proto=251),
        rtnl.route(True, "0.0.0.0/0", oif=index["p0"], proto=251),
    )
    shown = {link["ifname"]: link for link in ip_json(name, "-d", "link", "show")}
    mine = {link.name: link for link in rt.links()}
    assert set(mine) == set(shown) == {"lo", "p0", "p1", "br0", "m0"}
    assert mine["p0"].alias == shown["p0"]["ifalias"] == "mvlab:x" and mine["p0"].up
    assert (mine["m0"].kind, mine["m0"].macvlan_mode, mine["m0"].address, mine["m0"].parent) == (
        "macvlan",
        shown["m0"]["linkinfo"]["info_data"]["mode"],
        "02:00:00:00:00:09",
        index["p0"],
    )
    assert (
        mine["p1"].master == index["br0"]
        and mine["p1"].hairpin is True
        and mine["p1"].flags & rtnl.IFF_PROMISC
    )
    assert shown["p1"]["linkinfo"]["info_slave_data"]["hairpin"] is True
    addresses = {a.address for a in rt.addresses() if a.index == index["p0"] and a.scope == 0}
    assert addresses == {"10.6.0.1/24", "fd00:6::1/64"}
    routes = {(r.dst, r.gateway, r.oif) for r in rt.routes() if r.proto == 251}
    assert routes == {("10.7.0.0/16", "10.6.0.254", index["p0"]), ("0.0.0.0/0", None, index["p0"])}
    assert {r["dst"] for r in ip_json(name, "route", "show", "proto", "251")} == {"10.7.0.0/16", "default"}

    rt.do(
        rtnl.route(False, "10.7.0.0/16", gateway="10.6.0.254", proto=251),
        rtnl.addr(False, index["p0"], "10.6.0.1/24"),
    )
    assert not ip_json(name, "route", "show", "10.7.0.0/16")
    with pytest.raises(rtnl.RequestError) as refused:  # every refusal of a batch is reported, named
        rt.do(
            rtnl.link_del(mine["m0"].index, "m0"), rtnl.link_del(9999, "ghost"), rtnl.link_add("p0", "bridge")
        )
    assert [(r.what, code) for r, code in refused.value.failures] == [
        ("remove link ghost", 19),
        ("create bridge link p0", 17),
    ]
    assert "m0" not in {link.name for link in rt.links()}


def test_a_dump_larger_than_one_datagram_is_read_whole(scratch):
    name, rt = scratch
    for start in range(0, 300, 50):
        rt.do(*(rtnl.link_add(f"v{i}", "veth", peer=(f"w{i}", None)) for i in range(start, start + 50)))
    assert len(rt.links()) == len(ip_json(name, "link", "show")) == 601
