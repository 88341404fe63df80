"""Probe benchmark: the whole reachability matrix at once vs. one `ping -c1 -W1` per pair.

    .venv/bin/python -m bench.probe [--topology flat half-dead star] [--sizes 50 200]
                                    [--timeout S (default: the agent's probe deadline)] [--sample 24]

For each topology and N it deploys, in a lab sandbox of its own (`mvl-<random>-*`
namespaces, removed afterwards whatever happens), a design of N containers:

  flat       one bridge-mode macvlan network over two hosts: every pair answers, and
             the N*(N-1) neighbour entries it needs are far past the kernel's table cap;
  half-dead  the same network in private mode: pairs on one host never talk, pairs
             across hosts do (about half of the pairs are dead and must time out);
  star       one VLAN network per container, all joined by one router namespace,
             half of the containers pointing at a gateway nobody holds (see `star_design`).

It then times `agent.probe.probe_hosts` over every pair, split into its phases
(resolving and pinning next hops, probing, unpinning), and the plain way,
`ip netns exec SRC ping -c1 -W1 DST`, one pair after another. The plain way would
take hours for N=200, so it runs on a sample of pairs (half live, half dead) and is
extrapolated to the whole matrix from the per-pair means; the output says so.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import random
import secrets
import subprocess
import time

from agent.events import ListEventSink
from agent.neighbours import pinned
from agent.probe import probe_hosts
from agent.run import PROBE_TIMEOUT, probe_jobs
from agent.sandbox import deploy_sandbox, sandbox_down, sandbox_targets
from contract.plan import HOST_NS, netns_name
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.matrix import Endpoint, Matrix, Pair
from designer.topology.model import Design
from designer.topology.predict import predict

FIRST_VID = 100


def star_design(n: int) -> tuple[Design, Matrix]:
    """N containers, each on a /29 network on a VLAN of its own, all joined by one router namespace,
    and the container-to-container matrix it gives (worked out here: the general
    prediction is too slow for the 201 endpoints and 200 networks of N=200).

    Containers 0..live-1 have a leg of the router as their gateway. The others are not
    joined to the router and point at a gateway nobody holds, so every pair with one of
    them in it is dead and must time out; with live = N/sqrt(2), half of the N*(N-1)
    pairs answer. Every pair crosses the router (TTL 63). One VLAN per network keeps each
    ARP broadcast between a container and its router leg (on one shared L2, every leg of
    the router would answer every ARP for the router).
    """
    live = round(n / math.sqrt(2))
    networks, legs, containers = {}, {}, {}
    for i in range(n):
        base = ipaddress.ip_network("10.90.0.0/16")[8 * i]
        networks[f"n{i}"] = {
            "parent": f"eth1.{FIRST_VID + i}",
            "mode": "bridge",
            "subnet": f"{base}/29",
            "gateway": str(base + (1 if i < live else 6)),
        }
        if i < live:
            legs[f"n{i}"] = {"ip": str(base + 1)}
        containers[f"c{i}"] = {"host": "lab", "networks": {f"n{i}": {"ip": str(base + 2)}}}
    design = Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": f"bench-probe-{n}",
            "hosts": {"lab": {"nics": ["eth1"]}},
            "segments": {"lan": {"ports": ["lab.eth1"], "vlans": list(range(FIRST_VID, FIRST_VID + n))}},
            "networks": networks,
            "containers": containers,
            "routers": {"r": {"host": "lab", "networks": legs}},
        }
    )
    endpoints = [
        Endpoint(name=name, host="lab", addresses=[c["networks"][f"n{name[1:]}"]["ip"]])
        for name, c in containers.items()
    ]
    pairs = [
        Pair(
            src=src.name,
            dst=dst.name,
            dst_ip=dst.addresses[0],
            expected=i < live and j < live,
            expected_ttl=63 if i < live and j < live else None,
        )
        for i, src in enumerate(endpoints)
        for j, dst in enumerate(endpoints)
        if i != j
    ]
    return design, Matrix(endpoints=endpoints, pairs=pairs)


def flat_design(n: int, mode: str = "bridge") -> tuple[Design, Matrix]:
    """N containers on one macvlan network (`mode`) spread over two hosts, and its predicted matrix."""
    design = Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": f"bench-flat-{mode}-{n}",
            "hosts": {"h1": {"nics": ["eth1"]}, "h2": {"nics": ["eth1"]}},
            "segments": {"lan": {"ports": ["h1.eth1", "h2.eth1"]}},
            "networks": {"flat": {"parent": "eth1", "mode": mode, "subnet": "10.91.0.0/16"}},
            "containers": {f"c{i}": {"host": f"h{1 + i % 2}", "networks": {"flat": {}}} for i in range(n)},
        }
    )
    return design, predict(design, allocate(design))


TOPOLOGIES = {"flat": flat_design, "half-dead": lambda n: flat_design(n, "private"), "star": star_design}


def sequential_ping(namespace: str, address: str, timeout: float) -> bool:
    wait = str(max(1, round(timeout)))
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, "ping", "-n", "-q", "-c1", "-W", wait, address],
        capture_output=True,
    )
    return done.returncode == 0


def bench_size(topology: str, n: int, timeout: float, tries: int, sample: int) -> None:
    deployment = "b" + secrets.token_hex(4)
    design, matrix = TOPOLOGIES[topology](n)
    plans = compile_plans(design, allocate(design), deployment, matrix)
    fabric = compile_fabric(design, deployment)
    try:
        started = time.monotonic()
        deploy_sandbox(fabric, list(plans.values()))
        built = time.monotonic() - started
        targets = sandbox_targets(fabric, list(plans.values()))
        jobs = {host: probe_jobs(plan, targets[host]) for host, plan in plans.items()}
        pairs = sum(len(j) for j in jobs.values())

        sources = {namespace for host_jobs in jobs.values() for namespace, _ in host_jobs}
        addresses = {probe.dst_ip for host_jobs in jobs.values() for _, probe in host_jobs}
        started = time.monotonic()
        with pinned(sources, addresses, timeout, tries) as resolution:
            resolved = time.monotonic()
            results = probe_hosts(
                jobs,
                deployment,
                ListEventSink(),
                timeout=timeout,
                tries=tries,
                pin_neighbours=False,
                unresolved=resolution.unresolved,
            )
            probed = time.monotonic()
        concurrent = time.monotonic() - started
        events = [e for host_events in results.values() for e in host_events]
        live = sum(e.observed for e in events)
        wrong = [e for e in events if e.observed != e.expected]

        print(f"{topology} N={n}: {pairs} pairs, {pairs - live} unreachable; sandbox built in {built:.1f} s")
        print(
            f"  probe_hosts, all pairs: {concurrent:.2f} s = {concurrent / timeout:.2f} x the {timeout:g} s "
            f"probe deadline ({tries} tries per pair); {len(wrong)} pairs differ from the prediction"
        )
        print(
            f"    resolve+pin {resolved - started:.2f} s ({resolution.next_hops} next hops, "
            f"{resolution.answered} answered, {resolution.learned} learned from answers, "
            f"{resolution.requests} requests in {resolution.windows} windows of <= "
            f"{resolution.window_size} over {resolution.rounds} rounds), probe {probed - resolved:.2f} s, "
            f"unpin {started + concurrent - probed:.2f} s"
        )
        if wrong:
            print(f"  !! e.g. {wrong[0]}")

        per_pair = sequential_sample(events, plans, deployment, timeout, sample)
        extrapolated = live * per_pair[True] + (pairs - live) * per_pair[False]
        print(
            f"  sequential `ip netns exec … ping -c1 -W{max(1, round(timeout))}`, measured on a sample of "
            f"{sample} pairs: {per_pair[True] * 1000:.1f} ms per live pair, "
            f"{per_pair[False]:.2f} s per dead pair"
        )
        print(
            f"  sequential, extrapolated to all {pairs} pairs: {extrapolated:.0f} s "
            f"({extrapolated / 3600:.2f} h); speed-up {extrapolated / concurrent:.0f}x"
        )
    finally:
        sandbox_down(deployment)


def sequential_sample(events, plans, deployment: str, timeout: float, sample: int) -> dict[bool, float]:
    """Mean seconds per pair of sequential pings, for live and for dead pairs."""
    namespace_of = {p.src: p.namespace for plan in plans.values() for p in plan.probes}
    rng = random.Random(7)
    means = {}
    for live in (True, False):
        of_kind = [e for e in events if e.observed is live]
        chosen = rng.sample(of_kind, min(len(of_kind), sample // 2))
        if not chosen:
            means[live] = 0.0
            continue
        started = time.monotonic()
        for event in chosen:
            assert namespace_of[event.src] != HOST_NS
            sequential_ping(netns_name(deployment, namespace_of[event.src]), event.dst_ip, timeout)
        means[live] = (time.monotonic() - started) / len(chosen)
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--topology", nargs="+", choices=sorted(TOPOLOGIES), default=["flat", "half-dead", "star"]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--timeout", type=float, default=PROBE_TIMEOUT)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--sample", type=int, default=24, help="pairs pinged one after another (half live)")
    args = parser.parse_args()
    for topology in args.topology:
        for n in args.sizes:
            bench_size(topology, n, args.timeout, args.tries, args.sample)


if __name__ == "__main__":
    main()
