"""Deploy N endpoints (a namespace with one macvlan each) on one sandbox host, two ways.

mvlab:   `agent.apply.apply_plan` (pyroute2, no forks) and `teardown`.
ip:      a plain shell script of `ip` commands doing the same work (namespace,
         macvlan made straight into it, MAC, owner alias, lo up, address, link up),
         then `ip netns del` for each.

naive:   (with --naive) pyroute2 used the obvious way: `pyroute2.netns.create` and one
         `IPRoute(netns=...)` per namespace, each forking a helper process.

All run in the same process run, each on its own sandbox host, inside namespaces this
benchmark makes and removes. Prints ms per endpoint and the ratios; no assertions.

    .venv/bin/python bench/deploy.py --n 50 200 [--naive]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.apply import apply_plan, teardown
from agent.sandbox import sandbox_down, sandbox_up
from contract.plan import (
    HostPlan,
    Link,
    Namespace,
    SandboxFabric,
    Segment,
    SegmentPort,
    netns_name,
    owner_mark,
)


def endpoints(n: int) -> list[tuple[str, str, str]]:
    """(name, address, mac) of n endpoints on one /16."""
    return [
        (f"c{i}", f"10.20.{i // 250}.{i % 250 + 1}/16", f"02:42:0a:14:{i // 250:02x}:{i % 250 + 1:02x}")
        for i in range(n)
    ]


def host(dep: str):
    fabric = SandboxFabric(
        deployment=dep,
        hosts=("h1",),
        segments=(Segment(name="lan", ports=(SegmentPort(host="h1", nic="enp0s8"),)),),
    )
    return sandbox_up(fabric, [HostPlan(deployment=dep, host="h1", nics=("enp0s8",))])["h1"]


def plan(dep: str, n: int) -> HostPlan:
    eps = endpoints(n)
    return HostPlan(
        deployment=dep,
        host="h1",
        nics=("enp0s8",),
        namespaces=tuple(Namespace(name=name) for name, _, _ in eps),
        links=tuple(
            Link(
                name="eth0",
                namespace=name,
                kind="macvlan",
                parent="enp0s8",
                mode="bridge",
                mac=mac,
                addresses=(address,),
            )
            for name, address, mac in eps
        ),
    )


def shell_scripts(dep: str, host_ns: str, n: int) -> tuple[str, str]:
    up, down = ["set -e"], ["set -e"]
    for name, address, mac in endpoints(n):
        ns = netns_name(dep, name)
        up += [
            f"ip netns add {ns}",
            f"ip -n {host_ns} link add link enp0s8 name eth0 netns {ns} address {mac} "
            "type macvlan mode bridge",
            f"ip -n {ns} link set lo up",
            f"ip -n {ns} link set eth0 alias {owner_mark(dep)} up",
            f"ip -n {ns} addr add {address} dev eth0",
        ]
        down.append(f"ip netns del {ns}")
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def run_script(text: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as f:
        f.write(text)
        f.flush()
        start = time.perf_counter()
        subprocess.run(["sh", f.name], check=True)
        return time.perf_counter() - start


def naive_pyroute2(dep: str, host_ns: str, n: int) -> tuple[float, float]:
    """Deploy and remove the same endpoints with pyroute2's forking namespace helpers."""
    from pyroute2 import IPRoute
    from pyroute2 import netns as pyroute2_netns

    start = time.perf_counter()
    with IPRoute(netns=host_ns, flags=0) as host_ipr:
        parent = host_ipr.link_lookup(ifname="enp0s8")[0]
        for name, address, mac in endpoints(n):
            ns = netns_name(dep, name)
            pyroute2_netns.create(ns)
            host_ipr.link(
                "add",
                ifname="eth0",
                kind="macvlan",
                link=parent,
                macvlan_mode="bridge",
                address=mac,
                net_ns_fd=ns,
            )
            with IPRoute(netns=ns, flags=0) as ipr:
                ipr.link("set", index=1, state="up")
                index = ipr.link_lookup(ifname="eth0")[0]
                ipr.link("set", index=index, ifalias=owner_mark(dep), state="up")
                ip, prefix = address.split("/")
                ipr.addr("add", index=index, address=ip, prefixlen=int(prefix))
    up = time.perf_counter() - start
    start = time.perf_counter()
    for name, _, _ in endpoints(n):
        pyroute2_netns.remove(netns_name(dep, name))
    return up, time.perf_counter() - start


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def bench(n: int, profile: bool, naive: bool) -> None:
    ours, theirs, slow = ("b" + secrets.token_hex(4) for _ in range(3))
    try:
        target, shell_target = host(ours), host(theirs)
        wanted = plan(ours, n)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        up, report = timed(apply_plan, wanted, target)
        if profiler:
            profiler.disable()
        again, second = timed(apply_plan, wanted, target)
        down, _ = timed(teardown, ours, target)
        assert report.created == 3 * n and second.unchanged, (
            "the benchmark deployed something else than asked"
        )
        script_up, script_down = shell_scripts(theirs, shell_target.host_ns, n)
        ip_up, ip_down = run_script(script_up), run_script(script_down)
        if naive:
            naive_up, naive_down = naive_pyroute2(slow, host(slow).host_ns, n)
    finally:
        for dep in (ours, theirs, slow):
            sandbox_down(dep)

    def per(seconds: float) -> float:
        return seconds * 1000 / n

    print(
        f"N={n:4d}  deploy  mvlab {per(up):6.2f} ms/endpoint   ip script {per(ip_up):6.2f} ms/endpoint"
        f"   ip/mvlab {ip_up / up:5.1f}x"
    )
    print(
        f"        teardown mvlab {per(down):6.2f} ms/endpoint   ip script {per(ip_down):6.2f} ms/endpoint"
        f"   ip/mvlab {ip_down / down:5.1f}x"
    )
    print(f"        re-apply (nothing to change) mvlab {per(again):6.2f} ms/endpoint")
    if naive:
        print(
            f"        naive pyroute2 (forked helpers): deploy {per(naive_up):6.2f} ms/endpoint "
            f"({naive_up / up:5.1f}x mvlab), teardown {per(naive_down):6.2f} ms/endpoint"
        )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200], help="endpoint counts")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of mvlab's deploy")
    parser.add_argument("--naive", action="store_true", help="also time pyroute2's forking namespace helpers")
    args = parser.parse_args()
    for n in args.n:
        bench(n, args.profile, args.naive)


if __name__ == "__main__":
    main()
