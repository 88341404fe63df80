"""The agent run in the command line's own process: `lab up --sandbox` and `lab down`.

The only module of the agent that the site's code imports (tests/test_import_rules.py): the command
line is then the agent of a lab sandbox on this machine, and nothing of the agent's internals
(its runner, rootless helper, sandbox) leaks into `designer/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agent.events import ListEventSink
from agent.rootless import RootlessError, run_rootless, unprivileged_uid
from agent.run import run_sandbox
from agent.sandbox import sandbox_down
from contract.events import AnyEvent
from contract.plan import HostPlan, SandboxFabric


class SandboxFailed(RuntimeError):
    """The rootless child that builds the sandbox failed (it could not start, or died)."""


def sandbox_up(
    fabric: SandboxFabric,
    plans: Mapping[str, HostPlan],
    progress: Callable[[AnyEvent], None],
    privileged: bool = False,
) -> tuple[dict[str, tuple[bool, str]], list[AnyEvent]]:
    """Build (or reconcile) the sandbox here, apply and probe every plan: ({host: (ok, detail)}, events).

    Rootless, in a child inside namespaces of its own (as nobody when run by root), unless
    `privileged` (root only): then in the machine's own /run/netns. Raises SandboxFailed."""
    sink = ListEventSink(echo=progress)
    if privileged:
        results = run_sandbox(fabric, plans, sink)
    else:
        try:
            results = run_rootless(run_sandbox, fabric, plans, emit=sink, as_uid=unprivileged_uid())
        except RootlessError as exc:
            raise SandboxFailed(str(exc)) from exc
    return {host: (r.ok, r.detail) for host, r in results.items()}, sink.events


def remove_sandbox(deployment: str) -> list[str]:
    """Remove what deployment `deployment` left on this machine (a sandbox, or a local agent's
    leftovers); the namespaces removed."""
    return sandbox_down(deployment)
