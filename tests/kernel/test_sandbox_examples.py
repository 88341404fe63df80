"""Every example design, deployed into a lab sandbox: the kernel does what the designer predicts.

Each example is compiled (IPAM, plans, fabric), deployed with `deploy_sandbox`, and every
predicted pair is probed with real ICMP; observed must equal expected for every pair.
"""

from pathlib import Path

import pytest
import yaml

from agent import netns
from agent.probe import probe_hosts
from agent.sandbox import deploy_sandbox, sandbox_targets
from contract.plan import HOST_NS, netns_name
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.shape import parse_design
from tests.kernel.lab import deployment_id

pytestmark = pytest.mark.kernel

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


def compiled(path: Path, dep: str):
    design = parse_design(yaml.safe_load(path.read_text()))
    plans = compile_plans(design, allocate(design), dep)
    return compile_fabric(design, dep), list(plans.values())


def observe(fabric, plans) -> list:
    targets = sandbox_targets(fabric, plans)
    jobs = {
        plan.host: [
            (
                targets[plan.host].host_ns
                if p.namespace == HOST_NS
                else netns_name(plan.deployment, p.namespace),
                p,
            )
            for p in plan.probes
        ]
        for plan in plans
    }
    results = probe_hosts(jobs, fabric.deployment, lambda e: None, timeout=1.5, tries=3)
    return [event for events in results.values() for event in events]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_behaves_as_predicted_and_reapply_changes_nothing(path):
    with deployment_id() as dep:
        fabric, plans = compiled(path, dep)
        first = deploy_sandbox(fabric, plans)
        assert all(report.created for report in first.values() if any(p.links for p in plans))

        events = observe(fabric, plans)
        wrong = [
            (e.host, e.src, e.dst, e.dst_ip, e.expected, e.observed)
            for e in events
            if e.expected != e.observed
        ]
        assert events and not wrong
        assert any(e.observed for e in events), "at least one pair of every example talks"

        again = deploy_sandbox(fabric, plans)
        assert {host: report.actions for host, report in again.items()} == {host: [] for host in again}
    assert netns.list_namespaces(netns_name(dep, "")) == []
