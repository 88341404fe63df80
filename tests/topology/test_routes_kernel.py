"""The route rules against the kernel, in a lab sandbox: what `route-exists` refuses, the kernel refuses
(`File exists`), and the routes beside those the kernel installs; a next hop the validator refuses, the
kernel refuses (each with its own error), and the next hops beside those the kernel installs."""

from __future__ import annotations

import pytest

from agent.apply import ApplyError
from agent.sandbox import deploy_sandbox
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from tests.kernel.lab import deployment_id
from tests.topology.test_validate_rules import BESIDE, NEXT_HOPS, REFUSED, design

pytestmark = pytest.mark.kernel


def deploy(change) -> None:
    built = design(change)
    with deployment_id() as dep:
        plans = compile_plans(built, allocate(built), dep).values()
        deploy_sandbox(compile_fabric(built, dep), list(plans))


@pytest.mark.parametrize(("change", "path"), REFUSED)
def test_the_kernel_refuses_a_route_the_validator_refuses(change, path):
    with pytest.raises(ApplyError, match=r"add route .* File exists"):
        deploy(change)


@pytest.mark.parametrize("change", BESIDE)
def test_the_kernel_installs_every_route_beside_the_namespaces_own(change):
    deploy(change)


@pytest.mark.parametrize(("change", "refused"), NEXT_HOPS)
def test_the_kernel_refuses_a_next_hop_exactly_when_the_validator_does(change, refused):
    if refused is None:
        deploy(change)
        return
    with pytest.raises(ApplyError, match=f"add route .* {refused[2]}"):
        deploy(change)
