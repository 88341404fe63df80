"""`vm_site`: three VMs running agents (tests/vm/lab.py) and the real site on the Redis they reach, once per
test session."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.agent.machines import redis_on_socket
from tests.live import LiveStack, start_stack, stop_stack
from tests.vm.lab import Lab, start_agents, start_lab, stop_lab

STARS = ("sirius", "rigel", "procyon")  # the agents' names: unlike any host of the designs


@dataclass
class VMSite:
    lab: Lab
    stack: LiveStack
    say: object  # prints a line to the terminal, past pytest's capture

    def logs(self) -> str:
        """The ends of the site's and every VM agent's logs."""
        return self.stack.logs() + "".join(f"\n\n== agent {vm.name}\n{vm.agent_log()}" for vm in self.lab.vms)


@pytest.fixture(scope="session")
def vm_site(request, tmp_path_factory):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    tag = secrets.token_hex(2)
    with (
        redis_on_socket(tmp_path_factory.mktemp("vm-redis")) as (sock, client),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        site = pool.submit(start_stack, redis_socket=sock)  # while the VMs boot
        try:
            lab = start_lab([f"{star}-{tag}" for star in STARS], sock, say)
        except BaseException:
            stop_stack(site.result())
            raise
        try:
            stack = site.result()
            try:
                start_agents(lab, stack, client, say)
                yield VMSite(lab, stack, say)
            finally:
                stop_stack(stack)
        finally:
            stop_lab(lab)
