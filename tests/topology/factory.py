"""Small designs for the topology tests, written as the dicts a YAML file would hold."""

from __future__ import annotations

from designer.topology.ipam import allocate
from designer.topology.matrix import Matrix
from designer.topology.model import Design
from designer.topology.predict import predict


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
