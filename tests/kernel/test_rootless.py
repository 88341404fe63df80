"""A whole sandbox run by an unprivileged user (nobody) inside its own user namespace."""

import os
import pwd
import signal
from pathlib import Path

import pytest

from agent import netns
from agent.rootless import RootlessError, RootlessHelper, run_rootless
from agent.run import run_sandbox
from agent.sandbox import deploy_sandbox, sandbox_down
from contract.plan import HostPlan, Link, Namespace, SandboxFabric, Segment, SegmentPort, netns_name
from tests.kernel.lab import new_deployment, reachable

pytestmark = pytest.mark.kernel

NOBODY = pwd.getpwnam("nobody").pw_uid


def two_hosts_one_network(dep: str) -> dict:
    """Inside the child: a two-host sandbox, one bridge network, a private pair; who reaches whom."""
    fabric = SandboxFabric(
        deployment=dep,
        hosts=("h1", "h2"),
        segments=(
            Segment(
                name="lan", ports=(SegmentPort(host="h1", nic="eth1"), SegmentPort(host="h2", nic="eth1"))
            ),
        ),
    )

    def host(name: str, containers: dict[str, tuple[str, str]]) -> HostPlan:
        return HostPlan(
            deployment=dep,
            host=name,
            nics=("eth1",),
            namespaces=tuple(Namespace(name=c) for c in containers),
            links=tuple(
                Link(name="eth0", namespace=c, kind="macvlan", parent="eth1", mode=mode, addresses=(ip,))
                for c, (ip, mode) in containers.items()
            ),
        )

    plans = [
        host(
            "h1",
            {
                "a": ("10.5.0.1/24", "bridge"),
                "p1": ("10.5.0.11/24", "private"),
                "p2": ("10.5.0.12/24", "private"),
            },
        ),
        host("h2", {"b": ("10.5.0.2/24", "bridge")}),
    ]
    deploy_sandbox(fabric, plans)
    seen = {
        "uid_map": open("/proc/self/uid_map").read().split(),
        "a": reachable(netns_name(dep, "a"), "10.5.0.2"),
        "p1": reachable(netns_name(dep, "p1"), "10.5.0.12", "10.5.0.2"),
        "namespaces": netns.list_namespaces(netns_name(dep, "")),
    }
    sandbox_down(dep)
    seen["after_down"] = netns.list_namespaces(netns_name(dep, ""))
    return seen


def test_an_unprivileged_user_runs_a_sandbox_in_a_user_namespace():
    dep = new_deployment()
    seen = run_rootless(two_hosts_one_network, dep, as_uid=NOBODY)
    assert seen["uid_map"] == ["0", str(NOBODY), "1"]  # root inside is nobody outside
    assert seen["a"] == {"10.5.0.2": True}  # across the emulated wire, between the two hosts
    assert seen["p1"] == {"10.5.0.12": False, "10.5.0.2": True}  # private siblings never talk
    assert len(seen["namespaces"]) == 7 and seen["after_down"] == []
    assert netns.list_namespaces(netns_name(dep, "")) == []  # nothing ever showed in the machine's /run/netns


def test_without_user_namespace_privilege_nothing_happens_on_the_machine():
    assert run_rootless(os.listdir, "/run/netns", as_uid=NOBODY) == []  # its own, empty /run/netns
    with pytest.raises(RootlessError, match="ZeroDivisionError"):
        run_rootless(divmod, 1, 0, as_uid=NOBODY)


def example_as_predicted(path: str, dep: str) -> list:
    """Inside the child: compile an example, deploy it in a sandbox, probe every pair; the mismatches."""
    from tests.kernel.test_sandbox_examples import compiled, observe

    fabric, plans = compiled(Path(path), dep)
    deploy_sandbox(fabric, plans)
    events = observe(fabric, plans)
    sandbox_down(dep)
    return [(e.src, e.dst_ip, e.expected, e.observed) for e in events if e.expected != e.observed] + (
        [] if any(e.observed for e in events) else ["nothing answered"]
    )


def test_an_example_design_runs_as_predicted_without_privilege():
    example = Path(__file__).parents[2] / "examples" / "two-vlans-routed.yaml"
    assert run_rootless(example_as_predicted, str(example), new_deployment(), as_uid=NOBODY) == []


def small_sandbox(dep: str) -> tuple[SandboxFabric, dict[str, HostPlan]]:
    fabric = SandboxFabric(deployment=dep, hosts=("h1",), segments=())
    plan = HostPlan(deployment=dep, host="h1", nics=("eth1",), namespaces=(Namespace(name="a"),))
    return fabric, {"h1": plan}


def test_a_helper_keeps_its_sandboxes_between_calls_streams_their_events_and_takes_them_when_it_ends():
    dep = new_deployment()
    events = []
    with RootlessHelper(as_uid=NOBODY) as helper:
        results = helper.call(run_sandbox, *small_sandbox(dep), emit=events.append)
        assert results["h1"].ok, results["h1"].detail
        assert [e.step for e in events if getattr(e, "status", "") == "done"][:1] == ["sandbox"]
        made = sorted(os.listdir(helper.run_netns))  # its parent sees them through /proc
        assert netns_name(dep, "a") in made and len(made) == 3
        assert netns.list_namespaces(netns_name(dep, "")) == []  # the machine never does
        assert helper.call(netns.list_namespaces, netns_name(dep, "")) == made  # still there, next call

        def refuse(event):
            raise ValueError("no room for events")

        with pytest.raises(ValueError, match="no room"):  # the call ran to its end all the same
            helper.call(run_sandbox, *small_sandbox(dep), emit=refuse)
        assert helper.call(sandbox_down, dep) == made
        pid = helper.pid
    assert not Path(f"/proc/{pid}").exists() and not helper.alive()


def test_a_helper_that_dies_is_no_longer_alive_and_says_so_when_called():
    with RootlessHelper(as_uid=NOBODY) as helper:
        assert helper.alive()
        os.kill(helper.pid, signal.SIGKILL)
        with pytest.raises(RootlessError, match="died"):
            helper.call(os.getpid)
        assert not helper.alive()
