"""Time the designer's pure-Python pipeline on growing designs: allocate, predict, compile, export.

Each design has 4 hosts on one wire with 4 VLANs, a forwarding host holding each
VLAN's gateway, and N containers spread over the hosts and VLANs, half with given
addresses. Prints milliseconds per step and the number of pairs predicted; no assertions.

    .venv/bin/python bench/topology.py --n 50 200 400
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from designer.topology.compile import compile_plans
from designer.topology.exports import to_docker, to_shell
from designer.topology.ipam import allocate
from designer.topology.model import Design
from designer.topology.predict import predict

VLANS = 4


def design(n: int) -> Design:
    hosts = {f"h{i}": {"nics": ["eth1"]} for i in range(4)}
    hosts["h0"].update(forwarding=True, addresses={f"eth1.{10 + v}": f"10.{v}.0.1/16" for v in range(VLANS)})
    networks = {
        f"n{v}": {"parent": f"eth1.{10 + v}", "subnet": f"10.{v}.0.0/16", "gateway": f"10.{v}.0.1"}
        for v in range(VLANS)
    }
    containers = {
        f"c{k}": {
            "host": f"h{k % 4}",
            "networks": {
                f"n{k % VLANS}": {"ip": f"10.{k % VLANS}.1.{k // VLANS % 250 + 1}"} if k % 2 else {}
            },
        }
        for k in range(n)
    }
    return Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": f"bench{n}",
            "hosts": hosts,
            "segments": {
                "lan": {"ports": [f"{h}.eth1" for h in hosts], "vlans": [10 + v for v in range(VLANS)]}
            },
            "networks": networks,
            "containers": containers,
        }
    )


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200])
    args = parser.parse_args()
    steps = ("allocate", "predict", "compile")
    print(
        f"{'containers':>10} {'pairs':>8}"
        + "".join(f" {s:>10}" for s in steps)
        + f" {'sh':>8} {'docker':>8}  (ms)"
    )
    for n in args.n:
        d = design(n)
        allocation, t_alloc = timed(allocate, d)
        matrix, t_predict = timed(predict, d, allocation)
        _, t_compile = timed(compile_plans, d, allocation, "bench", matrix)
        _, t_sh = timed(to_shell, d, allocation)
        _, t_docker = timed(to_docker, d, allocation)
        print(
            f"{n:>10} {len(matrix.pairs):>8} {t_alloc:>10.1f} {t_predict:>10.1f} {t_compile:>10.1f}"
            f" {t_sh:>8.1f} {t_docker:>8.1f}"
        )


if __name__ == "__main__":
    main()
