"""A whole lab sandbox run in-process: build, apply, probe every pair at once, finish each host."""

from pathlib import Path

import pytest
import yaml

from agent.events import ListEventSink
from agent.run import run_sandbox
from contract.events import FinishedEvent, ProbeEvent
from contract.plan import Link
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.shape import parse_design
from tests.kernel.lab import deployment_id

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def compiled(example: str, deployment: str):
    design = parse_design(yaml.safe_load((EXAMPLES / example).read_text()))
    return compile_fabric(design, deployment), compile_plans(design, allocate(design), deployment)


def test_two_vlans_routed_observes_what_the_design_predicts_and_reconciles():
    with deployment_id() as dep:
        fabric, plans = compiled("two-vlans-routed.yaml", dep)
        sink = ListEventSink()
        results = run_sandbox(fabric, plans, sink, timeout=0.6)

        assert all(result.ok for result in results.values()), {h: r.detail for h, r in results.items()}
        probes = [e for e in sink.events if isinstance(e, ProbeEvent)]
        assert len(probes) == sum(len(plan.probes) for plan in plans.values()) > 0
        assert [(p.src, p.dst_ip) for p in probes if p.observed != p.expected] == []
        d1_to_d4 = next(p for p in probes if p.src == "d1" and p.dst == "d4")
        assert (d1_to_d4.observed, d1_to_d4.ttl) == (True, 63)
        finished = [e for e in sink.events if isinstance(e, FinishedEvent)]
        assert sorted((e.host, e.ok) for e in finished) == [(h, True) for h in sorted(plans)]
        assert sink.events[-1] in finished  # every host's run ends with its finished event

        again = run_sandbox(fabric, plans, ListEventSink(), timeout=0.6)
        assert all(result.ok and result.report.unchanged for result in again.values())


def test_a_host_whose_plan_fails_is_finished_not_ok_while_the_others_are_probed():
    with deployment_id() as dep:
        fabric, plans = compiled("two-hosts-same-network.yaml", dep)
        broken = plans["host2"].model_copy(
            update={
                "links": (
                    *plans["host2"].links,
                    Link(name="x0", kind="macvlan", mode="bridge", parent="nope0"),
                )
            }
        )
        sink = ListEventSink()
        results = run_sandbox(fabric, {**plans, "host2": broken}, sink, timeout=0.6)

        assert not results["host2"].ok and "nope0" in results["host2"].detail
        finished = {e.host: e for e in sink.events if isinstance(e, FinishedEvent)}
        assert (finished["host1"].ok, finished["host2"].ok) == (True, False)
        assert "nope0" in finished["host2"].detail
        assert {e.host for e in sink.events if isinstance(e, ProbeEvent)} == {"host1"}
