"""The validator names host routes a real machine's agent refuses before anything is deployed."""

import pytest

from designer.topology.model import Design
from designer.topology.validate import validate


def issues(*routes: dict, addresses=None) -> set[tuple[str, str, str]]:
    """(severity, code, path) of the host-route issues of a one-host design with a shim and `routes`."""
    host = {"nics": ["eth1"], "shim": {"network": "n", "ip": "10.0.0.250"}, "routes": list(routes)}
    if addresses:
        host["addresses"] = addresses
    design = Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": "d",
            "hosts": {"host1": host},
            "segments": {"sw": {"ports": ["host1.eth1"]}},
            "networks": {
                "n": {"parent": "eth1", "subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/25"},
                "v": {"parent": "eth1.20", "subnet": "10.20.0.0/24"},
            },
            "containers": {"a": {"host": "host1", "networks": {"n": {"ip": "10.0.0.10"}}}},
        }
    )
    return {(i.severity, i.code, i.path) for i in validate(design) if i.code.startswith("host-route")}


@pytest.mark.parametrize(
    "routes, wrong",
    [
        ([{"to": "default", "via": "10.0.0.1"}], [0]),
        ([{"to": "0.0.0.0/0", "via": "10.0.0.1"}], [0]),
        (
            [
                {"to": "10.9.0.0/16", "via": "10.0.0.1"},
                {"to": "0.0.0.0/1", "via": "10.0.0.1"},
                {"to": "128.0.0.0/1", "via": "10.0.0.2"},
            ],
            [1, 2],
        ),
        (
            [
                {"to": "0.0.0.0/2", "via": "10.0.0.1"},
                {"to": "64.0.0.0/2", "via": "10.0.0.1"},
                {"to": "128.0.0.0/1", "via": "10.0.0.1"},
            ],
            [0, 1, 2],
        ),
    ],
    ids=["default", "slash-0", "two-halves", "quarters-and-half"],
)
def test_routes_that_take_all_of_the_machines_traffic_are_reported_at_their_path(routes, wrong):
    assert issues(*routes) == {
        ("warning", "host-route-everything", f"hosts.host1.routes.{i}.to") for i in wrong
    }


def test_wide_routes_that_leave_addresses_out_are_fine():
    assert issues({"to": "0.0.0.0/1", "via": "10.0.0.1"}, {"to": "128.0.0.0/2", "via": "10.0.0.1"}) == set()


def test_a_next_hop_behind_a_bare_nic_is_a_warning_and_one_behind_mvlabs_links_is_not():
    found = issues(
        {"to": "10.9.0.0/16", "via": "192.168.1.1"},
        {"to": "10.8.0.0/16", "via": "10.20.0.1"},
        {"to": "10.7.0.0/16", "via": "10.0.0.1"},
        addresses={"eth1": "192.168.1.5/24", "eth1.20": "10.20.0.5/24"},
    )
    assert found == {("warning", "host-route-via-nic", "hosts.host1.routes.0.via")}
