"""The design pipeline (designer.topology.pipeline): each step made once, whatever asks for it, and the
plans of every example equal to their golden files (tests/golden/plans/<example>.<host>.json).

After a deliberate change to the plans, regenerate with
`MVLAB_UPDATE_GOLDEN=1 bin/test tests/topology/test_pipeline.py` and review the diff.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from designer.topology import pipeline
from designer.topology import validate as validate_module
from designer.topology.compile import compile_plans
from designer.topology.ipam import allocate
from designer.topology.issues import DesignError
from designer.topology.predict import predict
from designer.topology.yamlio import load_design
from tests.golden_files import assert_golden

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
GOLDEN = Path(__file__).parents[1] / "golden" / "plans"
DEPLOYMENT = "golden"


def counting(calls: Counter, name: str, real):
    def counted(*args, **kwargs):
        calls[name] += 1
        return real(*args, **kwargs)

    return counted


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """How often each step's function ran: loading, validating, allocating (in the pipeline and inside
    validation), the namespaces."""
    found: Counter = Counter()
    for module, name in (
        (pipeline, "load_design"),
        (pipeline, "validate"),
        (pipeline, "allocate"),
        (pipeline, "namespaces"),
        (validate_module, "allocate"),
    ):
        monkeypatch.setattr(module, name, counting(found, f"{module.__name__}.{name}", getattr(module, name)))
    return found


def test_every_step_runs_once_however_often_and_in_whatever_order_it_is_asked_for(calls):
    compiled = pipeline.compile(EXAMPLES[0].read_text(), predictor=counting(calls, "predict", predict))
    first = compiled.plans("dep1")
    for _ in range(2):
        assert compiled.matrix.pairs and compiled.namespaces and compiled.allocation.legs
        assert compiled.issues == [] and compiled.design.name
        assert compiled.plans("dep2")["host1"].deployment == "dep2"
    compiled.fabric("dep1")
    assert first["host1"].probes == compiled.plans("dep1")["host1"].probes
    assert calls == {
        "designer.topology.pipeline.load_design": 1,
        "designer.topology.pipeline.validate": 1,
        "designer.topology.pipeline.allocate": 1,
        "designer.topology.pipeline.namespaces": 1,
        "predict": 1,
    }  # validation used the pipeline's allocation: none made inside it


def test_a_design_sent_as_json_is_its_canonical_yaml():
    text = EXAMPLES[0].read_text()
    data = load_design(text).design.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    compiled = pipeline.compile(data)
    assert "#" not in compiled.yaml and compiled.design == pipeline.compile(text).design
    assert compiled.as_json() == data


def test_a_design_that_does_not_load_says_why_at_every_step():
    compiled = pipeline.compile("name: x\nhosts: [\n")
    for step in ("loaded", "issues", "allocation", "matrix"):
        with pytest.raises(DesignError) as err:
            getattr(compiled, step)
        assert err.value.issues and err.value.issues[0].line
    with pytest.raises(DesignError):
        pipeline.compile({"name": "x", "hosts": "none"})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_plans_of_every_example_are_the_golden_files(example):
    """Reviewed once; a change to what an agent is sent shows here as a diff, per host."""
    compiled = pipeline.compile(example.read_text())
    plans = compiled.plans(DEPLOYMENT)
    design = compiled.design
    assert plans == compile_plans(design, allocate(design), DEPLOYMENT)  # the parts, composed by hand
    for host, plan in plans.items():
        text = json.dumps(plan.model_dump(mode="json"), indent=2) + "\n"
        assert_golden(GOLDEN / f"{example.stem}.{host}.json", text)
    kept = sorted(GOLDEN.glob(f"{example.stem}.*.json"))
    assert [p.name for p in kept] == sorted(f"{example.stem}.{host}.json" for host in plans)
