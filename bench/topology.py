"""Time the designer's pure-Python pipeline on growing designs: allocate, predict, compile, export.

Each design has 4 hosts on one wire with 4 VLANs, a forwarding host holding each
VLAN's gateway, and N containers spread over the hosts and VLANs, half with given
addresses. Prints milliseconds per step, the number of pairs predicted (each source
endpoint against each address of every other one) and the process's peak memory; no assertions.

    .venv/bin/python bench/topology.py --n 50 200 400
    .venv/bin/python bench/topology.py --n 2000 --steps predict   # large: predict alone
"""

from __future__ import annotations

import argparse
import resource
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
STEPS = ("allocate", "predict", "compile", "sh", "docker")


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


def peak_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, steps: tuple[str, ...]) -> dict[str, float]:
    """Milliseconds per chosen step on the design of `n` containers (allocate always runs)."""
    d = design(n)
    allocation, took = timed(allocate, d)
    times = {"allocate": took}
    matrix = None
    if "predict" in steps or "compile" in steps:
        matrix, times["predict"] = timed(predict, d, allocation)
    if "compile" in steps:
        _, times["compile"] = timed(compile_plans, d, allocation, "bench", matrix)
    if "sh" in steps:
        _, times["sh"] = timed(to_shell, d, allocation)
    if "docker" in steps:
        _, times["docker"] = timed(to_docker, d, allocation)
    times["pairs"] = len(matrix.pairs) if matrix is not None else float("nan")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    args = parser.parse_args()
    print(f"{'containers':>10} {'pairs':>8}" + "".join(f" {s:>9}" for s in STEPS) + "  (ms)  peak MiB")
    for n in args.n:
        times = run(n, tuple(args.steps))
        cells = "".join(f" {times[s]:>9.1f}" if s in times else f" {'-':>9}" for s in STEPS)
        print(f"{n:>10} {times['pairs']:>8.0f}{cells}  {peak_mib():>14.0f}", flush=True)


if __name__ == "__main__":
    main()
