"""Small designs for the topology tests, written as the dicts a YAML file would hold."""

from __future__ import annotations

from designer.topology.ipam import allocate
from designer.topology.matrix import Matrix
from designer.topology.model import Design
from designer.topology.predict import predict

TWO_VLANS = dict(
    hosts={
        "host1": {"nics": ["enp0s8"], "shim": {"network": "mac10", "ip": "172.16.10.250"}},
        "host2": {"nics": ["enp0s8", "enp0s9"]},
        "host3": {
            "nics": ["enp0s8"],
            "forwarding": True,
            "addresses": {"enp0s8.100": "172.16.10.1/24", "enp0s8.200": "172.16.20.1/24"},
        },
    },
    segments={"lan": {"ports": ["host1.enp0s8", "host2.enp0s8", "host3.enp0s8"], "vlans": [100, 200]}},
    networks={
        "mac10": {
            "parent": "enp0s8.100",
            "subnet": "172.16.10.0/24",
            "gateway": "172.16.10.1",
            "ip_range": "172.16.10.0/25",
        },
        "mac20": {"parent": "enp0s8.200", "subnet": "172.16.20.0/24", "gateway": "172.16.20.1"},
    },
    containers={
        "d1": {"host": "host1", "networks": {"mac10": {"ip": "172.16.10.10"}}},
        "d2": {"host": "host1", "networks": {"mac20": {"ip": "172.16.20.10"}}},
        "d3": {"host": "host2", "networks": {"mac10": {}}},
        "d4": {"host": "host2", "networks": {"mac20": {"ip": "172.16.20.11", "mac": "02:00:00:00:20:0b"}}},
    },
)

ROUTER = dict(
    hosts={"host1": {"nics": ["eth1", "eth2"]}},
    networks={
        "inside": {"parent": "eth1", "subnet": "10.1.0.0/24", "gateway": "10.1.0.1"},
        "uplink": {"parent": "eth2", "subnet": "10.2.0.0/24"},
    },
    containers={
        "client": {"host": "host1", "networks": {"inside": {"ip": "10.1.0.10"}}},
        "server": {"host": "host1", "networks": {"uplink": {"ip": "10.2.0.20"}}},
    },
    routers={
        "r1": {
            "host": "host1",
            "networks": {"inside": {"ip": "10.1.0.1"}, "uplink": {"ip": "10.2.0.1"}},
            "masquerade": "uplink",
        }
    },
)


def make_design(
    hosts: dict,
    networks: dict | None = None,
    containers: dict | None = None,
    segments: dict | None = None,
    routers: dict | None = None,
) -> Design:
    return Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": "t",
            "hosts": hosts,
            "segments": segments or {},
            "networks": networks or {},
            "containers": containers or {},
            "routers": routers or {},
        }
    )


def matrix_of(design: Design) -> Matrix:
    return predict(design, allocate(design))


def reach(matrix: Matrix, src: str, dst_ip: str) -> int | None:
    """The predicted reply TTL from `src` to `dst_ip`, None when the ping is predicted to fail."""
    pair = matrix.pair(src, dst_ip)
    assert pair.expected == (pair.expected_ttl is not None)
    return pair.expected_ttl
