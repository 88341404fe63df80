"""A class of students deploying the same 3-host, 8-container lab within the same minute, on one machine.

Two ways, both the real code path:

  sandbox  every student's lab built and probed by the agent's sandbox code
           (`agent.run.run_sandbox`, what the lab agent's `sandbox_up` task runs),
           one worker process per student, all started at once;
  site     the whole product (tests.live: daphne, the site worker, the lab agent):
           an instructor opens a class, every student joins and deploys over HTTP
           at once, through the class quotas and the lab agent(s) the site places
           each sandbox on (`--lab-agents N` starts N on this machine).

Prints the time until every student has a full matrix (every predicted pair observed),
per-student times, mismatches against the prediction, and peak memory: the largest sum of
the resident memory of the processes involved and the largest drop of the machine's
MemAvailable (which also counts the kernel's namespaces, links and sockets). The sandbox mode
also prints what one built sandbox holds once its worker is gone (the figure behind
`designer.placement.NAMESPACE_MEMORY`) and the neighbour entries it keeps after its probe.
Asserts nothing about time. Every sandbox is removed at the end, also on failure.

    .venv/bin/python bench/classroom.py --students 30
    .venv/bin/python bench/classroom.py --students 30 --mode site [--lab-agents 2]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent import netns
from agent.neighbour_budget import PinRegistry
from agent.room import meminfo
from agent.run import run_sandbox
from agent.sandbox import sandbox_down
from contract.events import ProbeEvent
from contract.plan import netns_name
from designer.placement import NAMESPACE_MEMORY
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.matrix import merge_observed
from designer.topology.predict import predict
from designer.topology.shape import parse_design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "two-vlans-routed.yaml").read_text()
MORE = (
    "  d5: {host: host1, networks: {mac10: {}}}\n  d6: {host: host1, networks: {mac20: {}}}\n"
    "  d7: {host: host2, networks: {mac10: {}}}\n  d8: {host: host2, networks: {mac20: {}}}\n"
)
LAB_YAML = EXAMPLE.replace("routers: {}", MORE + "routers: {}").replace(
    "name: two-vlans-routed", "name: class-lab"
)
GOALS = ["d1 reaches d4 with TTL 63", "d5 reaches d8 with TTL 63", "d1 reaches d3"]
SETTLE = 10  # seconds for MemAvailable to take back what the exited workers held (measured: 3-10 s)


class MemoryWatch(threading.Thread):
    """Samples, every 50 ms, the summed RSS of some processes and the machine's MemAvailable."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.stop = pids, threading.Event()
        self.start_available = self.available()
        self.peak_rss = self.peak_drop = 0

    @staticmethod
    def available() -> int:
        return meminfo()["MemAvailable"]

    @staticmethod
    def rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_rss = max(self.peak_rss, sum(self.rss(p) for p in self.pids()))
            self.peak_drop = max(self.peak_drop, self.start_available - self.available())

    def report(self) -> str:
        return (
            f"peak memory: {self.peak_rss / 2**20:.0f} MiB resident in the processes, "
            f"MemAvailable down by at most {self.peak_drop / 2**20:.0f} MiB"
        )


def _children(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def neighbours(dep: str) -> int:
    """IPv4 neighbour (ARP) entries held by one deployment's namespaces."""
    total = 0
    for ns in netns.list_namespaces(netns_name(dep, "")):
        ipr = netns.handle(ns)
        try:
            total += len(ipr.get_neighbours(family=socket.AF_INET))
        finally:
            ipr.close()
    return total


def neighbour_note(per_student: float) -> str:
    """What a probed sandbox leaves in the kernel's one neighbour table (every namespace shares it)."""
    budget = PinRegistry().budget(socket.AF_INET)
    return (
        f"ARP entries a sandbox keeps after its probe: {per_student:.1f} on average; the machine's table: "
        f"{budget.in_use} of gc_thresh3={budget.cap} counting against the cap now"
    )


def kernel_memory(info: dict[str, int]) -> int:
    """What the kernel's own objects (namespaces, links, sockets) take: slab and per-CPU memory."""
    return info["Slab"] + info["Percpu"]


def held_note(before: dict[str, int], after: dict[str, int], sandboxes: int, namespaces: int) -> str:
    """Memory the built sandboxes hold, from /proc/meminfo before any and with all of them up."""
    drop = (before["MemAvailable"] - after["MemAvailable"]) / sandboxes
    kernel = (kernel_memory(after) - kernel_memory(before)) / sandboxes
    return (
        f"memory one built sandbox holds ({sandboxes} up, their workers gone {SETTLE} s; "
        f"{namespaces} namespaces each): "
        f"MemAvailable down {drop / 2**20:.2f} MiB, kernel slab+percpu up {kernel / 2**20:.2f} MiB "
        f"({kernel / namespaces / 2**10:.0f} KiB per namespace; the site reckons "
        f"{NAMESPACE_MEMORY / 2**10:.0f} KiB, designer.placement)"
    )


# ---- sandbox: the agent's code, one process per student -----------------------------------


def one_student(dep: str, started_at: float) -> tuple[str, float, int, int, list[str], int]:
    """Builds and probes one student's sandbox, and leaves it up; answers (dep, seconds since start,
    pairs, observed, the pairs observed otherwise than predicted, ARP entries)."""
    design = parse_design(yaml.safe_load(LAB_YAML))
    allocation = allocate(design)
    events: list = []
    run_sandbox(compile_fabric(design, dep), compile_plans(design, allocation, dep), events.append)
    done = time.time() - started_at
    matrix = merge_observed(predict(design, allocation), [e for e in events if isinstance(e, ProbeEvent)])
    observed = [p for p in matrix.pairs if p.observed is not None]
    wrong = [
        f"{p.src} -> {p.dst_ip} expected {p.expected}, observed {p.observed}"
        for p in observed
        if p.observed != p.expected
    ]
    return dep, done, len(matrix.pairs), len(observed), wrong, neighbours(dep)


def bench_sandbox(students: int) -> None:
    deps = [f"bc{secrets.token_hex(4)}" for _ in range(students)]
    before = meminfo()
    watch = MemoryWatch(lambda: _children(os.getpid()))
    watch.start()
    began = time.time()
    try:
        with ProcessPoolExecutor(max_workers=students) as pool:
            results = list(pool.map(one_student, deps, [began] * students))
        total = time.time() - began
        time.sleep(SETTLE)
        held = meminfo()
        namespaces = len(netns.list_namespaces(netns_name(deps[0], "")))
    finally:
        watch.stop.set()
        for dep in deps:
            sandbox_down(dep)
    left = [ns for dep in deps for ns in netns.list_namespaces(netns_name(dep, ""))]
    times = sorted(r[1] for r in results)
    full = sum(1 for r in results if r[2] == r[3])
    print(f"sandbox mode: {students} students, one worker process each, {os.cpu_count()} CPUs")
    print(
        f"every student has a full matrix after {total:.1f} s "
        f"(per student: median {statistics.median(times):.1f} s, slowest {times[-1]:.1f} s)"
    )
    print(
        f"full matrices: {full}/{students}; pairs per matrix: {results[0][2]}; "
        f"observed differing from predicted: {sum(len(r[4]) for r in results)}"
    )
    print(neighbour_note(statistics.mean(r[5] for r in results)))
    for line in [f"{r[0]}: {w}" for r in results for w in r[4]][:10]:
        print(f"  {line}")
    print(watch.report())
    print(held_note(before, held, students, namespaces))
    print(f"namespaces left behind: {len(left)}")


# ---- site: the whole product ----------------------------------------------------------------


def bench_site(students: int, lab_agents: int) -> None:
    from tests.classroom.live_class import instructor, join, wait_state
    from tests.live import start_stack, stop_stack

    os.environ.setdefault("MVLAB_CLASS_IDLE_SECONDS", "3600")
    stack = start_stack()
    deployments: list[str] = []
    try:
        for number in range(1, lab_agents):
            stack.start_agent(f"{stack.lab_agent}-{number}")
        teacher = instructor(stack, "teacher")
        design = teacher.post(f"{stack.url}/api/designs", json={"yaml": LAB_YAML}, timeout=10).json()
        room = teacher.post(f"{stack.url}/api/classes", json={"name": "bench"}, timeout=10).json()
        exercise = teacher.post(
            f"{stack.url}/api/classes/{room['id']}/exercises",
            timeout=10,
            json={"title": "lab", "design": design["id"], "goals": GOALS},
        ).json()
        teacher.post(f"{stack.url}/api/exercises/{exercise['id']}/open", timeout=10).raise_for_status()
        people = [stack.user(f"s{i:02d}") for i in range(students)]
        attempts = [join(stack, s, room) for s in people]

        def pids() -> list[int]:
            return [pid for p in stack.processes.values() for pid in _children(p.popen.pid)]

        watch = MemoryWatch(pids)
        watch.start()
        began = time.time()
        refused: list[str] = []

        def deploy(i: int) -> tuple[float, dict]:
            url = f"{stack.url}/api/designs/{attempts[i]['design']}/deploy"
            for _ in range(30):  # the test stack's SQLite may answer 500 "database is locked" under load
                answer = people[i].post(url, json={"sandbox": True}, timeout=60)
                if answer.status_code < 500:
                    break
                refused.append(f"{answer.status_code} {answer.text[:200]}")
                time.sleep(0.5 + secrets.randbelow(1000) / 1000)
            answer.raise_for_status()
            deployments.append(answer.json()["id"])
            final = wait_state(stack, people[i], answer.json()["id"], timeout=3600)
            return time.time() - began, final

        with ThreadPoolExecutor(max_workers=students) as pool:
            results = list(pool.map(deploy, range(students)))
        total = time.time() - began
        watch.stop.set()
        times = sorted(t for t, _ in results)
        full = sum(
            1
            for _, f in results
            if f["matrix"] and all(p["observed"] is not None for p in f["matrix"]["pairs"])
        )
        wrong = [
            f"{f['id']}: {p['src']} -> {p['dst_ip']} expected {p['expected']}, observed {p['observed']}"
            for _, f in results
            if f["matrix"]
            for p in f["matrix"]["pairs"]
            if p["observed"] is not None and p["observed"] != p["expected"]
        ]
        board = teacher.get(f"{stack.url}/api/classes/{room['id']}/board", timeout=60).json()
        passed = sum(1 for r in board if r["goals"]["passed"] == r["goals"]["total"])
        placed = Counter(next(iter(f["hosts"].values()))["agent"] for _, f in results)
        print(
            f"site mode: {students} students deploy at once through HTTP, {lab_agents} lab agent(s) "
            f"on this machine, {os.cpu_count()} CPUs; sandboxes per lab agent: {dict(sorted(placed.items()))}"
        )
        print(
            f"every student has a full matrix after {total:.1f} s "
            f"(per student: median {statistics.median(times):.1f} s, slowest {times[-1]:.1f} s)"
        )
        print(
            f"full matrices: {full}/{students}; observed differing from predicted: {len(wrong)}; "
            f"students with every goal passed: {passed}/{students}"
        )
        print(watch.report() + " (daphne, site worker, lab agents)")
        for line in wrong[:10]:
            print(f"  {line}")
        print(neighbour_note(statistics.mean(neighbours(d) for d in deployments)))
        if refused:
            print(f"deploy requests retried after a server error: {len(refused)}; first: {refused[0]}")
            log = stack.processes["web"].log.read_text(errors="replace").splitlines()
            causes = sorted(
                {line for line in log if line[:1].isalpha() and ("Error: " in line or "Exception: " in line)}
            )
            print("server errors in the web log:", *causes[:5], sep="\n  ")
    finally:
        stop_stack(stack)
        for dep in deployments:
            sandbox_down(dep)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--mode", choices=["sandbox", "site"], default="sandbox")
    parser.add_argument(
        "--lab-agents", type=int, default=1, help="site mode: lab agents the site spreads over"
    )
    args = parser.parse_args()
    if args.students < 1 or args.lab_agents < 1:
        parser.error("--students and --lab-agents must be at least 1")
    if args.mode == "sandbox":
        bench_sandbox(args.students)
    else:
        bench_site(args.students, args.lab_agents)


if __name__ == "__main__":
    main()
