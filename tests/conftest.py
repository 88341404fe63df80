"""Suite-wide guards.

`machine_namespace_untouched` records the links, addresses, routes, permanent neighbour
entries and forwarding sysctls of the machine's own network namespace before the suite and fails the run,
loudly, if anything differs afterwards. Tests must build everything inside
namespaces they made themselves.
"""

import json
import signal
import subprocess
from pathlib import Path

import pytest

# One live stack and one browser for the whole session, whichever directory asks for them.
pytest_plugins = ["tests.live", "tests.browser.fixtures"]

SYSCTLS = ("ipv4/ip_forward", "ipv6/conf/all/forwarding")


def _ip_json(*args: str) -> list[dict]:
    out = subprocess.run(["ip", "-j", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def machine_namespace_state() -> dict:
    """What a test must never change in the namespace the test process runs in."""
    links = sorted(
        (link["ifname"], link.get("address"), link.get("link_type"), tuple(sorted(link.get("flags", []))))
        for link in _ip_json("link", "show")
    )
    addresses = sorted(
        (entry["ifname"], a["local"], a["prefixlen"])
        for entry in _ip_json("addr", "show")
        for a in entry.get("addr_info", [])
    )
    routes = sorted(json.dumps(r, sort_keys=True) for r in _ip_json("route", "show", "table", "all"))
    pinned = sorted(json.dumps(n, sort_keys=True) for n in _ip_json("neigh", "show", "nud", "permanent"))
    sysctls = {name: Path("/proc/sys/net", name).read_text().strip() for name in SYSCTLS}
    return {
        "links": links,
        "addresses": addresses,
        "routes": routes,
        "pinned neighbours": pinned,
        "sysctls": sysctls,
    }


@pytest.fixture(scope="session", autouse=True)
def machine_namespace_untouched():
    before = machine_namespace_state()
    yield
    after = machine_namespace_state()
    changed = {
        key: {"before": before[key], "after": after[key]} for key in before if before[key] != after[key]
    }
    if changed:
        pytest.fail(
            "THE SUITE CHANGED THE MACHINE'S OWN NETWORK NAMESPACE:\n"
            + json.dumps(changed, indent=2, default=str),
            pytrace=False,
        )


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    """SIGTERM (a CI timeout, bin/test stopping its background labs) ends the run as Ctrl-C does, so
    fixtures still stop the VMs, engines and agents they started and remove their namespaces."""
    signal.signal(signal.SIGTERM, _interrupted)


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an asyncio loop running in the main
    thread for the rest of the session, and pyroute2 0.9's synchronous `IPRoute` (used by kernel
    tests in the main thread) refuses to start while a loop runs there."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
